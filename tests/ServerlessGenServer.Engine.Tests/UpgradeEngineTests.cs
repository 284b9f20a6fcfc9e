using System.Text.Json;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.GenServers;
using V0 = ServerlessGenServer.Engine.Tests.TestServers.Versions.V0;
using V1 = ServerlessGenServer.Engine.Tests.TestServers.Versions.V1;
using V2 = ServerlessGenServer.Engine.Tests.TestServers.Versions.V2;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>
/// A deployment that changes a server, on the real engine: three host generations, one after another, over one task
/// hub. Generation 0 leaves state in earlier formats, generation 1 a state and an armed timer, generation 2 (a changed
/// member type, a renamed operation) reads them all.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class UpgradeEngineTests(EngineFixture engine)
{
    private static readonly EntityInstanceId Armed = new("parcel", "armed");
    private static readonly EntityInstanceId Old = new("parcel", "v0");
    private static readonly EntityInstanceId Newer = new("parcel", "v3");
    private static readonly EntityInstanceId Broken = new("parcel", "broken");

    [Fact]
    public async Task Upgrade_TwoHostGenerationsOverOneTaskHub_MigratesStateAndKeepsTimersAndRefusesWhatItCannotRead()
    {
        var options = EngineFixture.NewOptions(engine.Azurite, "upgrade");

        // Generation 0: what code before the envelope stored (the record and its ledger), a newer version, garbage.
        const string v0 = """{"weight":"100","pings":0,"$once":[{"key":"k0","at":1,"exp":4102444800000,"fp":"0000000000000000"}]}""";
        const string v3 = """{"$v":3,"state":{"weight":{"kg":0.1},"labels":[]}}""";
        const string broken = """{"$v":2,"state":{"weightGrams":"heavy"}}""";
        await using (var generation0 = await EngineHost.StartAsync(options with { ExtraServers = [typeof(V0.Parcel)] }))
        {
            foreach (var (id, json) in new[] { (Old, v0), (Newer, v3), (Broken, broken) })
            {
                await generation0.Client.Entities.SignalEntityAsync(id, "write", json);
            }

            foreach (var id in new[] { Old, Newer, Broken })
            {
                await Eventually.WaitForAsync(() => StoredAsync(generation0, id), s => s is not null, $"{id} to be written");
            }
        }

        // Generation 1: a state and a timer that is still pending when generation 2 takes over.
        await using (var generation1 = await EngineHost.StartAsync(options with { ExtraServers = [typeof(V1.Parcel)] }))
        {
            await generation1.Client.Entities.SignalEntityAsync(Armed, "weigh", "250");
            await generation1.Client.Entities.SignalEntityAsync(Armed, "schedule", 6_000L);
            var stored = await Eventually.WaitForAsync(
                () => StoredAsync(generation1, Armed), s => s?.Contains("\"ping\"", StringComparison.Ordinal) == true, "the timer to be armed");
            Assert.StartsWith("""{"$v":1,"state":{"weight":"250","pings":0},"timers":{"ping":""", stored, StringComparison.Ordinal);
        }

        await using var generation2 = await EngineHost.StartAsync(options with { ExtraServers = [typeof(V2.Parcel)] });
        var http = new GenServerHttp(generation2.Registry, generation2.Client);

        // The timer armed by generation 1 reaches the renamed operation, after the state was migrated.
        var migrated = await Eventually.WaitForAsync(
            () => StoredAsync(generation2, Armed), s => s?.Contains("\"pings\":1", StringComparison.Ordinal) == true, "the timer of generation 1 to fire");
        Assert.Equal("""{"$v":2,"state":{"weightGrams":250,"pings":1}}""", migrated);

        // The format before the envelope reads under version 2; its ledger is kept beside the state.
        var read = await http.CallAsync("parcel", Old.Key, "read");
        Assert.Equal(200, read.Status);
        Assert.Equal("""{"weightGrams":100,"pings":0}""", read.Body.GetProperty("result").GetRawText());
        using (var upgraded = JsonDocument.Parse((await StoredAsync(generation2, Old))!))
        {
            Assert.Equal(2, upgraded.RootElement.GetProperty("$v").GetInt32());
            Assert.Equal("k0", upgraded.RootElement.GetProperty("once")[0].GetProperty("key").GetString());
        }

        // A newer version is refused and left as it was; so is state that does not read, and delete still removes it.
        var refused = await http.CallAsync("parcel", Newer.Key, "read");
        var unreadable = await http.CallAsync("parcel", Broken.Key, "read");
        // Both are server faults (GenServerStateException): 500 with a correlation id, nothing of the state shown.
        foreach (var fault in new[] { refused, unreadable })
        {
            Assert.Equal(500, fault.Status);
            Assert.True(fault.Body.TryGetProperty("correlationId", out _), fault.ToString());
            Assert.False(fault.Body.TryGetProperty("errorType", out _), fault.ToString());
        }

        Assert.Equal(v3, await StoredAsync(generation2, Newer));
        Assert.Equal(broken, await StoredAsync(generation2, Broken));

        await http.DeleteAsync("parcel", Broken.Key);
        await Eventually.WaitForAsync(() => StoredAsync(generation2, Broken), s => s is null, "the unreadable state to be deleted");
        Assert.Equal(404, (await http.GetAsync("parcel", Broken.Key)).Status);
    }

    private static async Task<string?> StoredAsync(EngineHost host, EntityInstanceId id) =>
        (await host.Client.Entities.GetEntityAsync(id, includeState: true))?.State.Value;
}
