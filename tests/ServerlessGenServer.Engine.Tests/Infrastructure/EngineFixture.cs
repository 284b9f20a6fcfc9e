using Microsoft.DurableTask;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.TestServers;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>The engine test classes share one collection: one Azurite per run, and the classes run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class EngineTestGroup : ICollectionFixture<EngineFixture>
{
    public const string Name = "Engine";
}

/// <summary>
/// Tests that start, stop and restart a private Azurite of their own. They touch nothing the other engine tests use,
/// so this collection runs beside <see cref="EngineTestGroup"/> (xunit runs collections in parallel), which shortens
/// the suite by their minute of waiting for storage to come back and for messages to settle.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PrivateAzuriteTestGroup
{
    public const string Name = "Private Azurite";
}

/// <summary>
/// One Azurite for the whole run, and one engine host per test class on its own task hub. Classes in a collection run
/// one at a time (and a class's tests too), so when a class asks for its host the previous class's host is stopped first.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    private AzuriteServer? _azurite;
    private EngineHost? _host;
    private Type? _hostOwner;

    public AzuriteServer Azurite => _azurite ?? throw new InvalidOperationException("Azurite has not started.");

    /// <summary>Options for a new task hub on the shared Azurite, with the test-only servers and orchestrators added.</summary>
    public EngineHostOptions NewOptions(string hubPrefix) => NewOptions(Azurite, hubPrefix);

    /// <summary>Options for a new task hub on <paramref name="azurite"/>, with the test-only servers and orchestrators added.</summary>
    public static EngineHostOptions NewOptions(AzuriteServer azurite, string hubPrefix) => new()
    {
        ConnectionString = azurite.ConnectionString,
        TaskHubName = TaskHubNames.Unique(hubPrefix),
        ExtraServers = [typeof(Alarm), typeof(Tally)],
        ExtraOrchestrators = new Dictionary<string, Func<ITaskOrchestrator>> { [nameof(Waiter)] = () => new Waiter() },
    };

    /// <summary>
    /// The host of <paramref name="testClass"/>'s task hub, started on first use, with the class's changes to the options
    /// (for example configuration the GenServers bind their options from).
    /// </summary>
    public async Task<EngineHost> HostForAsync(object testClass, Func<EngineHostOptions, EngineHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(testClass);
        if (_host is not null && _hostOwner == testClass.GetType())
        {
            return _host;
        }

        if (_host is not null)
        {
            await _host.DisposeAsync();
            _host = null;
        }

        var options = NewOptions(testClass.GetType().Name);
        _host = await EngineHost.StartAsync(configure is null ? options : configure(options));
        _hostOwner = testClass.GetType();
        return _host;
    }

    public async Task InitializeAsync() => _azurite = await AzuriteServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
