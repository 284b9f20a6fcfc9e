using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>
/// [ReadOnly] calls on the real engine, through POST .../call/{op} with the client built as the app builds it: answered
/// from the saved state by one read, never creating an entity or an orchestration.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class ReadOnlyEngineTests(EngineFixture engine)
{
    private async Task<(EngineHost Host, GenServerHttp Http)> StartAsync()
    {
        var host = await engine.HostForAsync(this);
        return (host, new GenServerHttp(host.Registry, host.Client, host.Services));
    }

    [Fact]
    public async Task ReadOnlyCall_OnNewKeys_NeverCreatesAnEntityOrAnOrchestration()
    {
        var (host, http) = await StartAsync();
        var runsBefore = await CountCallRunsAsync(host);

        for (var i = 0; i < 100; i++)
        {
            var value = await http.CallAsync("counter", $"ro-new-{i}", "value");
            var stats = await http.CallAsync("cache", $"ro-new-{i}", "stats");
            Assert.Equal(200, value.Status);
            Assert.Equal(0, value.Body.GetProperty("result").GetInt64());
            Assert.Equal(0, stats.Body.GetProperty("result").GetProperty("entries").GetInt32());
        }

        var status = await http.CallAsync("ticker", "ro-new-0", "status");
        Assert.False(status.Body.GetProperty("result").GetProperty("running").GetBoolean());
        foreach (var server in new[] { "counter", "cache", "ticker" })
        {
            var list = await http.ListAsync(server, "?prefix=ro-new-");
            Assert.Equal(0, list.Body.GetProperty("items").GetArrayLength());
        }

        Assert.Equal(runsBefore, await CountCallRunsAsync(host));
    }

    [Fact]
    public async Task ReadOnlyCall_SeesTheLastCommittedState()
    {
        var (_, http) = await StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await http.CastAsync("counter", "ro-seen", "increment", "2");
        }

        await Eventually.WaitForAsync(() => http.StateAsync("counter", "ro-seen"), s => s?.GetProperty("value").GetInt64() == 6, "the casts");
        var read = await http.CallAsync("counter", "ro-seen", "value");

        await http.CastAsync("cache", "ro-seen", "put", """{"key":"a","value":{"n":1}}""");
        var peeked = await Eventually.WaitForAsync(() => http.CallAsync("cache", "ro-seen", "peek", "\"a\""),
            a => a.Body.GetProperty("result").ValueKind == JsonValueKind.Object, "the put, seen by peek");
        var got = await http.CallAsync("cache", "ro-seen", "get", "\"a\"");
        var stats = await http.CallAsync("cache", "ro-seen", "stats");

        await http.CastAsync("ticker", "ro-seen", "start", """{"intervalMs":60000,"maxTicks":5}""");
        var ticker = await Eventually.WaitForAsync(() => http.CallAsync("ticker", "ro-seen", "status"),
            a => a.Body.GetProperty("result").GetProperty("running").GetBoolean(), "the start, seen by status");

        Assert.Equal(6, read.Body.GetProperty("result").GetInt64());
        Assert.Equal(1, peeked.Body.GetProperty("result").GetProperty("n").GetInt32());
        Assert.Equal(1, got.Body.GetProperty("result").GetProperty("n").GetInt32());
        // get ran in the entity (a hit counts) and committed before its reply; peek counted nothing.
        Assert.Equal((1, 0), (stats.Body.GetProperty("result").GetProperty("hits").GetInt64(), stats.Body.GetProperty("result").GetProperty("misses").GetInt64()));
        Assert.Equal(JsonValueKind.String, ticker.Body.GetProperty("result").GetProperty("nextTickAt").ValueKind);
    }

    [Fact]
    public async Task ReadOnlyCall_ThatChangesTheState_FailsOnBothPathsAndChangesNothing()
    {
        var (host, http) = await StartAsync();
        var added = await http.CallAsync("tally", "ro-sneak", "add", "5");

        var fast = await http.CallAsync("tally", "ro-sneak", "sneak");
        var inEntity = await new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance)
            .CallAsync(host.Client, new CallRequest("tally", "ro-sneak", "Sneak"), TimeSpan.FromSeconds(30));
        var total = await http.CallAsync("tally", "ro-sneak", "total");

        Assert.Equal(5, added.Body.GetProperty("result").GetInt64());
        Assert.Equal(500, fast.Status);
        Assert.Equal((CallStatus.Failed, "ServerlessGenServer.Entities.GenServers.ReadOnlyViolationException"), (inEntity.Status, inEntity.ErrorType));
        Assert.Equal(5, total.Body.GetProperty("result").GetInt64());
        Assert.Equal(5, (await http.StateAsync("tally", "ro-sneak"))!.Value.GetProperty("total").GetInt64());
    }

    private static async Task<int> CountCallRunsAsync(EngineHost host)
    {
        var count = 0;
        await foreach (var _ in host.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = GenServerClient.CallIdPrefix }))
        {
            count++;
        }

        return count;
    }
}
