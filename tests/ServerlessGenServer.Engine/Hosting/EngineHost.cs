using System.Diagnostics;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Client;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>
/// The engine Durable Functions runs on, in process: a DTFx <see cref="TaskHubWorker"/> over the Azure Storage
/// provider, running every registered GenServer (created per batch from the same DI the Functions app uses,
/// wrapped by durabletask-dotnet's shims) and the call orchestrator. <see cref="Client"/> is a real
/// <see cref="DurableTaskClient"/> over the same task hub. A new host over the same task hub picks up where a
/// stopped one left off.
/// </summary>
public sealed partial class EngineHost : IAsyncDisposable
{
    private readonly TaskHubWorker _worker;
    private readonly ServiceProvider _services;
    private readonly ILogger _logger;
    private bool _running;

    private EngineHost(EngineHostOptions options, AzureStorageOrchestrationService service, TaskHubWorker worker,
        ServiceProvider services, DataConverter converter, GenServerRegistry registry, ILogger logger)
    {
        Options = options;
        Service = service;
        _worker = worker;
        _services = services;
        DataConverter = converter;
        Registry = registry;
        _logger = logger;
        // Named after the task hub, as the Functions host's clients are: the call batcher keys its batches on the name.
        Client = new EngineDurableTaskClient(service, converter, name: options.TaskHubName);
    }

    public EngineHostOptions Options { get; }

    /// <summary>The Azure Storage provider: the engine's storage, queues and client side.</summary>
    public AzureStorageOrchestrationService Service { get; }

    /// <summary>A client over this host's task hub, with entity support, using the project's JSON.</summary>
    public DurableTaskClient Client { get; }

    /// <summary>The DI the GenServers are created from.</summary>
    public IServiceProvider Services => _services;

    /// <summary>The converter inputs, outputs and entity state are written with (the project's one JSON shape).</summary>
    public DataConverter DataConverter { get; }

    /// <summary>The GenServers this host runs (the registry plus any extra test-only servers).</summary>
    public GenServerRegistry Registry { get; }

    /// <summary>Creates the task hub if needed and starts processing it.</summary>
    public static async Task<EngineHost> StartAsync(EngineHostOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var started = Stopwatch.GetTimestamp();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var registry = new GenServerRegistry(options.Registry.Servers.Select(s => s.EntityType).Concat(options.ExtraServers));
        var services = BuildServices(options, registry, loggerFactory);
        var converter = new JsonDataConverter(GenServerJson.Options);

        var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(options.ConnectionString),
            TaskHubName = options.TaskHubName,
            WorkerId = $"engine-{Guid.NewGuid():N}", // a fresh worker, as a new Functions instance would be
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = options.ControlQueueVisibilityTimeout,
            MaxEntityOperationBatchSize = options.MaxEntityOperationBatchSize,
            ControlQueueBufferThreshold = options.ControlQueueBufferThreshold,
            EntityMessageReorderWindowInMinutes = options.EntityMessageReorderWindowInMinutes,
            // Entities need their own work-item queue (the isolated worker's setting); extended sessions keep
            // state in memory and write it late, which breaks "state persisted after every operation".
            UseSeparateQueueForEntityWorkItems = true,
            ExtendedSessionsEnabled = false,
            LoggerFactory = loggerFactory,
        });

        var shims = new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { EnableEntitySupport = true, DataConverter = converter }, loggerFactory);
        var worker = new TaskHubWorker(service, loggerFactory) { ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails };
        worker.AddTaskEntities([.. registry.Servers.Select(s => new GenServerEntityCreator(s.Name, s.EntityType, services, shims))]);
        ObjectCreator<TaskOrchestration> Orchestrator(string name, Func<ITaskOrchestrator> create) =>
            new ShimCreator<TaskOrchestration>(name, () => shims.CreateOrchestration(new TaskName(name), create()));
        worker.AddTaskOrchestrations(Orchestrator(nameof(CallOrchestrator), () => new CallOrchestrator()));
        worker.AddTaskOrchestrations(Orchestrator(nameof(ReplyOrchestrator), () => new ReplyOrchestrator()));
        worker.AddTaskOrchestrations(Orchestrator(nameof(GenServerTaskOrchestrator), () => new GenServerTaskOrchestrator()));
        worker.AddTaskActivities(new ShimCreator<TaskActivity>(GenServerWorks.ActivityName, () => shims.CreateActivity(
            new TaskName(GenServerWorks.ActivityName), new GenServerTaskActivity(services.GetRequiredService<GenServerWorks>()))));
        foreach (var (name, create) in options.ExtraOrchestrators)
        {
            worker.AddTaskOrchestrations(Orchestrator(name, create));
        }

        var logger = loggerFactory.CreateLogger<EngineHost>();
        var host = new EngineHost(options, service, worker, services, converter, registry, logger);
        try
        {
            cancellation.ThrowIfCancellationRequested();
            await service.CreateIfNotExistsAsync();
            if (options.StartWorker)
            {
                await host.StartWorkerAsync();
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogStarted(logger, options.TaskHubName, elapsedMs);
        return host;
    }

    /// <summary>Starts processing the task hub (done by <see cref="StartAsync"/> unless <see cref="EngineHostOptions.StartWorker"/> is false).</summary>
    public async Task StartWorkerAsync()
    {
        if (_running)
        {
            return;
        }

        await _worker.StartAsync();
        _running = true;
    }

    /// <summary>Stops processing: work in hand is finished, the partitions are released for the next worker.</summary>
    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }

        _running = false;
        var started = Stopwatch.GetTimestamp();
        await _worker.StopAsync(isForced: false);
        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogStopped(_logger, Options.TaskHubName, elapsedMs);
    }

    /// <summary>
    /// Stops processing without waiting for the work in hand (DTFx's forced stop), as a worker that is going away
    /// for good would: in-flight work items are abandoned, and the messages they had fetched stay invisible until the
    /// control queue's visibility timeout. Use it on a host whose storage is no longer reachable, where a graceful
    /// stop would wait on work that can never be committed.
    /// </summary>
    public async Task AbortAsync()
    {
        if (!_running)
        {
            return;
        }

        _running = false;
        var started = Stopwatch.GetTimestamp();
        await _worker.StopAsync(isForced: true);
        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        LogAborted(_logger, Options.TaskHubName, elapsedMs);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _worker.Dispose();
        await _services.DisposeAsync();
    }

    // The same registrations the Functions app makes (AddGenServers), then the caller's replacements.
    private static ServiceProvider BuildServices(EngineHostOptions options, GenServerRegistry registry, ILoggerFactory loggerFactory)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddLogging();
        services.AddSingleton(registry);
        services.AddGenServers(options.Configuration ?? new ConfigurationBuilder().Build());
        options.ConfigureServices?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine host on task hub {TaskHub} started in {ElapsedMs:0} ms")]
    private static partial void LogStarted(ILogger logger, string taskHub, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine host on task hub {TaskHub} stopped in {ElapsedMs:0} ms")]
    private static partial void LogStopped(ILogger logger, string taskHub, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine host on task hub {TaskHub} aborted in {ElapsedMs:0} ms")]
    private static partial void LogAborted(ILogger logger, string taskHub, double elapsedMs);
}
