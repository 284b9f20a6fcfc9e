using Microsoft.Extensions.Logging;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.LocalHost;

namespace ServerlessGenServer.EndToEnd.Tests.Support;

[CollectionDefinition(Name)]
public sealed class LocalHostGroup : ICollectionFixture<LocalHostFixture>
{
    public const string Name = "Local host";
}

/// <summary>
/// One private Azurite and one local host on a free port for the suite, with the app's own build output (functions.metadata,
/// host.json, local.settings.json) and only storage, task hub, queue name and the cleanup schedule overridden.
/// </summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    public const string SignalQueue = "e2e-signals";

    /// <summary>Every 3 s instead of nightly, so a test can see the timer fire.</summary>
    public const string CleanupSchedule = "*/3 * * * * *";

    private AzuriteServer? _azurite;
    private LocalFunctionsHost? _host;
    private ILoggerFactory? _loggerFactory;

    public RecordingLoggerProvider Logs { get; } = new();

    public AzuriteServer Azurite => _azurite ?? throw new InvalidOperationException("Not started.");

    public LocalFunctionsHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteServer.StartAsync();
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Information));
        _host = await LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            Port = 0,
            Settings = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = _azurite.ConnectionString,
                ["TASKHUB_NAME"] = TaskHubNames.Unique("e2e"),
                ["SIGNAL_QUEUE_NAME"] = SignalQueue,
                ["ENTITY_CLEANUP_SCHEDULE"] = CleanupSchedule,
            },
            QueueMaxPollingInterval = TimeSpan.FromMilliseconds(500),
            LoggerFactory = _loggerFactory,
        });
        Http = new HttpClient { BaseAddress = _host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }

        _loggerFactory?.Dispose();
    }
}
