using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>
/// How to run the engine. The defaults of the four tuning settings are the values in the repository's host.json
/// (a test keeps them equal), so the engine tests run with what the deployed app runs with.
/// </summary>
public sealed record EngineHostOptions
{
    /// <summary>The storage account (for example <c>AzuriteServer.ConnectionString</c>).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The task hub: its queues, tables and blob containers. 3 to 45 letters and digits, starting with a letter.</summary>
    public required string TaskHubName { get; init; }

    /// <summary>host.json <c>storageProvider.maxQueuePollingInterval</c>: the longest an idle worker waits between queue polls.</summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>host.json <c>storageProvider.controlQueueVisibilityTimeout</c>: how long a fetched control-queue message stays hidden.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>host.json <c>storageProvider.partitionCount</c>: the number of control queues (1 to 16).</summary>
    public int PartitionCount { get; init; } = 4;

    /// <summary>host.json <c>maxEntityOperationBatchSize</c>: the most operations one entity runs per work item.</summary>
    public int MaxEntityOperationBatchSize { get; init; } = 50;

    /// <summary>
    /// host.json <c>storageProvider.controlQueueBufferThreshold</c>: how many control-queue messages a worker holds
    /// fetched but not yet processed before it stops fetching. host.json sets it, because the defaults differ: 64 in
    /// DTFx (what this host ran with before), 256 or less in the Functions extension, depending on the plan.
    /// </summary>
    public int ControlQueueBufferThreshold { get; init; } = 64;

    /// <summary>
    /// host.json <c>entityMessageReorderWindowInMinutes</c> (not set there: 30 is Durable's default): how long an entity
    /// remembers senders to put their messages in order and drop duplicates. Cleaning entity storage keeps an empty
    /// entity until this long after its last update.
    /// </summary>
    public int EntityMessageReorderWindowInMinutes { get; init; } = 30;

    /// <summary>
    /// False to start only the client side (the task hub is created, nothing is processed) until
    /// <see cref="EngineHost.StartWorkerAsync"/>: for work that must wait, or a process that only sends.
    /// </summary>
    public bool StartWorker { get; init; } = true;

    /// <summary>The GenServers to run: the app's registry unless a test passes another.</summary>
    public GenServerRegistry Registry { get; init; } = GenServerRegistry.Default;

    /// <summary>Test-only GenServers run besides those of <see cref="Registry"/>.</summary>
    public IReadOnlyList<Type> ExtraServers { get; init; } = [];

    /// <summary>Test-only orchestrators by name, besides the call orchestrator. Each factory is asked for a fresh one per episode.</summary>
    public IReadOnlyDictionary<string, Func<ITaskOrchestrator>> ExtraOrchestrators { get; init; } =
        new Dictionary<string, Func<ITaskOrchestrator>>();

    /// <summary>The configuration the GenServers' options bind from (empty by default: every option at its default).</summary>
    public IConfiguration? Configuration { get; init; }

    /// <summary>Runs after <c>AddGenServers</c>: replace services here, for example the <see cref="TimeProvider"/>.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Where the engine and the GenServers log (nowhere by default).</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
