using System.Net;
using System.Reflection;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Tasks;
using ServerlessGenServer.Functions;
using ServerlessGenServer.LocalHost.Http;
using ServerlessGenServer.LocalHost.Metadata;
using ServerlessGenServer.LocalHost.Triggers;

namespace ServerlessGenServer.LocalHost;

/// <summary>
/// The Functions app without the Functions host: Kestrel serves the HTTP functions of functions.metadata, timers and
/// queue triggers run as hosted services, and entities and orchestrations run on the Durable Task engine (DTFx + the
/// Azure Storage provider) over the storage account in <c>AzureWebJobsStorage</c>. Function keys are not checked.
/// </summary>
public sealed partial class LocalFunctionsHost : IAsyncDisposable
{
    private static readonly TimeSpan EngineStopTimeout = TimeSpan.FromSeconds(15);
    private readonly WebApplication _app;
    private readonly ILogger _logger;
    private bool _stopped;

    private LocalFunctionsHost(
        WebApplication app, EngineHost engine, HttpFunctionRouter router, IConfiguration configuration, Uri baseAddress, ILogger logger)
    {
        _app = app;
        _logger = logger;
        Engine = engine;
        Router = router;
        Configuration = configuration;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the API listens, for example <c>http://localhost:7071/</c>.</summary>
    public Uri BaseAddress { get; }

    public EngineHost Engine { get; }

    public HttpFunctionRouter Router { get; }

    /// <summary>The app settings: local.settings.json Values, the environment, then the options' settings.</summary>
    public IConfiguration Configuration { get; }

    /// <summary>The function classes' services (built by <see cref="FunctionsAppServices.AddFunctionsApp"/>, as Program.cs does).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Cancelled when the web host begins to stop (SIGINT or SIGTERM reached it, or <see cref="StopAsync"/>).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    public static async Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var output = options.FunctionsOutput;
        var functions = FunctionsMetadataFile.Load(output);
        var hostJson = HostJson.Load(output);
        var settings = LocalSettings.Load(output);
        var (configuration, fromEnvironment) = settings.Build(options.Settings);
        var ownsLoggerFactory = options.LoggerFactory is null;
        var loggerFactory = options.LoggerFactory ?? ConsoleLogging();
        var logger = loggerFactory.CreateLogger<LocalFunctionsHost>();
        foreach (var name in fromEnvironment)
        {
            LogFromEnvironment(logger, name);
        }

        // The app assembly this host was built with (a project reference), named by the metadata's scriptFile.
        var app = Assembly.Load(new AssemblyName(Path.GetFileNameWithoutExtension(functions[0].ScriptFile)));
        CheckEngineFunctions(functions);
        var router = HttpFunctionRouter.Create(functions, app, hostJson.RoutePrefix, loggerFactory.CreateLogger<HttpFunctionRouter>());

        var storage = configuration["AzureWebJobsStorage"] is { Length: > 0 } connection
            ? connection
            : throw new InvalidOperationException("The app setting AzureWebJobsStorage is not set (local.settings.json Values).");
        var engine = await EngineHost.StartAsync(new EngineHostOptions
        {
            ConnectionString = storage,
            TaskHubName = AppSettingExpression.Resolve(hostJson.HubName, configuration),
            PartitionCount = hostJson.PartitionCount,
            MaxQueuePollingInterval = hostJson.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = hostJson.ControlQueueVisibilityTimeout,
            MaxEntityOperationBatchSize = hostJson.MaxEntityOperationBatchSize,
            EntityMessageReorderWindowInMinutes = hostJson.EntityMessageReorderWindowInMinutes ?? 30,
            Configuration = configuration,
            LoggerFactory = loggerFactory,
        }, cancellation);

        try
        {
            var port = options.Port ?? settings.LocalHttpPort ?? LocalHostOptions.DefaultPort;
            var web = BuildApp(port, functions, hostJson, options, configuration, loggerFactory, engine, app, storage);
            web.Run(context => router.HandleAsync(context, engine.Client));
            await web.StartAsync(cancellation);
            var bound = new Uri(web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var baseAddress = new Uri($"http://localhost:{bound.Port}/");
            var host = new LocalFunctionsHost(web, engine, router, configuration, baseAddress, logger);
            var keyedRoutes = router.Routes.Count(r => !r.AuthLevel.Equals("Anonymous", StringComparison.OrdinalIgnoreCase));
            LogStarted(logger, baseAddress, engine.Options.TaskHubName, keyedRoutes);
            if (ownsLoggerFactory)
            {
                web.Lifetime.ApplicationStopped.Register(loggerFactory.Dispose);
            }

            return host;
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops serving (requests in hand finish), stops the timers and queue readers, then the engine.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync();
        try
        {
            // A graceful engine stop waits on storage; with storage gone it would wait for ever.
            await Engine.DisposeAsync().AsTask().WaitAsync(EngineStopTimeout);
        }
        catch (TimeoutException)
        {
            LogEngineStopTimedOut(_logger, EngineStopTimeout.TotalSeconds);
        }

        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static WebApplication BuildApp(
        int port, IReadOnlyList<FunctionMetadata> functions, HostJson hostJson, LocalHostOptions options, IConfiguration configuration,
        ILoggerFactory loggerFactory, EngineHost engine, Assembly app, string storage)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = options.FunctionsOutput });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddFunctionsApp(configuration);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            if (port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                kestrel.ListenLocalhost(port);
            }
        });

        var time = TimeProvider.System;
        foreach (var function in functions)
        {
            var trigger = function.Trigger;
            if (trigger.Type == "timerTrigger")
            {
                var schedule = TimerSchedule.Parse(AppSettingExpression.Resolve(trigger.Text("schedule") ?? "", configuration));
                var invoker = FunctionInvoker.Create(function, app, []);
                builder.Services.AddSingleton<IHostedService>(sp => new TimerTriggerService(
                    invoker, schedule, engine.Client, sp, time, loggerFactory.CreateLogger<TimerTriggerService>()));
            }
            else if (trigger.Type == "queueTrigger")
            {
                var queueName = AppSettingExpression.Resolve(trigger.Text("queueName") ?? "", configuration);
                var connection = trigger.Text("connection") is { Length: > 0 } name
                    ? configuration[name] ?? configuration[$"{name}:ConnectionString"] ?? throw new InvalidOperationException($"The app setting '{name}' is not set.")
                    : storage;
                var rules = hostJson.Queues with { MaxPollingInterval = options.QueueMaxPollingInterval ?? hostJson.Queues.MaxPollingInterval };
                var invoker = FunctionInvoker.Create(function, app, []);
                var queues = new QueueServiceClient(connection);
                builder.Services.AddSingleton<IHostedService>(sp => new QueueTriggerService(
                    invoker, queues.GetQueueClient(queueName), queues.GetQueueClient($"{queueName}-poison"), rules, engine.Client, sp, time,
                    loggerFactory.CreateLogger<QueueTriggerService>()));
            }
        }

        return builder.Build();
    }

    // Entities and orchestrations run on the engine from the GenServer registry: hold the metadata to the same list.
    private static void CheckEngineFunctions(IReadOnlyList<FunctionMetadata> functions)
    {
        var entities = functions.Where(f => f.Trigger.Type == "entityTrigger").Select(f => f.Name.ToLowerInvariant()).Order(StringComparer.Ordinal);
        var servers = GenServerRegistry.Default.Servers.Select(s => s.Name).Order(StringComparer.Ordinal);
        if (!entities.SequenceEqual(servers))
        {
            throw new InvalidOperationException(
                $"functions.metadata's entity triggers ({string.Join(", ", entities)}) are not the registered GenServers ({string.Join(", ", servers)}).");
        }

        // The engine host runs the runtime's own orchestrations and activity (calls, deferred replies, offloaded tasks).
        string[] engineRuns = [nameof(CallOrchestrator), nameof(ReplyOrchestrator), nameof(GenServerTaskOrchestrator), GenServerWorks.ActivityName];
        var others = functions.Where(f => f.Trigger.Type is "orchestrationTrigger" or "activityTrigger")
            .Select(f => f.Name).Except(engineRuns, StringComparer.Ordinal).ToList();
        if (others.Count > 0)
        {
            throw new InvalidOperationException(
                $"The local host runs only the runtime's orchestrations and activity ({string.Join(", ", engineRuns)}), not {string.Join(", ", others)}.");
        }

        var unknown = functions.Select(f => f.Trigger.Type)
            .Except(["httpTrigger", "timerTrigger", "queueTrigger", "entityTrigger", "orchestrationTrigger", "activityTrigger"], StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"The local host does not run these triggers: {string.Join(", ", unknown)}.");
        }
    }

    private static ILoggerFactory ConsoleLogging() => LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        })
        .SetMinimumLevel(LogLevel.Information)
        .AddFilter("DurableTask", LogLevel.Warning)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)
        .AddFilter("Azure", LogLevel.Warning));

    [LoggerMessage(Level = LogLevel.Information, Message = "Setting {Name} comes from the environment (it overrides local.settings.json)")]
    private static partial void LogFromEnvironment(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Local host listening on {BaseAddress} (task hub {TaskHub}). Function keys are not enforced, as with func start: {KeyedRoutes} routes declare authLevel Function and are open")]
    private static partial void LogStarted(ILogger logger, Uri baseAddress, string taskHub, int keyedRoutes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The engine did not stop within {Seconds} s (is storage still reachable?); leaving it")]
    private static partial void LogEngineStopTimedOut(ILogger logger, double seconds);
}
