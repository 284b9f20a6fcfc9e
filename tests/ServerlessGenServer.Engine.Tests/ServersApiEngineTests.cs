using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Functions.Client;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The HTTP API end to end: the real function classes, a real client, the real engine over Azurite.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class ServersApiEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    private async Task<(EngineHost Host, GenServerHttp Http)> StartAsync()
    {
        var host = await engine.HostForAsync(this);
        return (host, new GenServerHttp(host.Registry, host.Client));
    }

    [Fact]
    public async Task Call_IncrementThenValue_RepliesWithTheCount()
    {
        var (_, http) = await StartAsync();

        var increment = await http.CallAsync("counter", "call-1", "increment", "3");
        var value = await http.CallAsync("counter", "call-1", "value");

        Assert.Equal(200, increment.Status);
        Assert.Equal(JsonValueKind.Null, increment.Body.GetProperty("result").ValueKind);
        Assert.Equal(200, value.Status);
        Assert.Equal(3, value.Body.GetProperty("result").GetInt64());
    }

    [Fact]
    public async Task Cast_Increment_StateReadShowsNewState()
    {
        var (_, http) = await StartAsync();

        var cast = await http.CastAsync("counter", "cast-1", "increment", "2");
        var state = await Eventually.WaitForAsync(() => http.GetAsync("counter", "cast-1"), a => a.Status == 200, "the counter's state");

        Assert.Equal(202, cast.Status);
        Assert.Equal(32, cast.Body.GetProperty("requestId").GetString()!.Length);
        Assert.Equal("counter", state.Body.GetProperty("server").GetString());
        Assert.Equal("cast-1", state.Body.GetProperty("key").GetString());
        Assert.Equal(2, state.Body.GetProperty("state").GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task Cast_ThousandConcurrentIncrementsToOneCounter_EndsAtExactlyThousand()
    {
        var (_, http) = await StartAsync();
        var clock = Stopwatch.StartNew();

        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => http.CastAsync("counter", "hot", "increment")));
        var sent = clock.Elapsed;
        var final = await Eventually.WaitForAsync(
            () => http.StateAsync("counter", "hot"), s => s?.GetProperty("value").GetInt64() >= 1000, "1,000 increments",
            TimeSpan.FromMinutes(2));

        output.WriteLine($"1,000 casts to one counter: sent in {sent.TotalSeconds:0.0} s, all applied after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.All(answers, a => Assert.Equal(202, a.Status));
        Assert.Equal(1000, final!.Value.GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task Cast_ThousandConcurrentIncrementsOverSixteenCounters_TotalIsExactlyThousand()
    {
        var (_, http) = await StartAsync();
        var clock = Stopwatch.StartNew();

        var answers = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => http.CastAsync("counter", $"spread-{i % 16}", "increment")));
        var values = await Eventually.WaitForAsync(
            async () => await Task.WhenAll(Enumerable.Range(0, 16).Select(async k =>
                (await http.StateAsync("counter", $"spread-{k}"))?.GetProperty("value").GetInt64() ?? 0)),
            v => v.Sum() >= 1000, "1,000 increments over 16 counters", TimeSpan.FromMinutes(2));

        output.WriteLine($"1,000 casts over 16 counters: all applied after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.All(answers, a => Assert.Equal(202, a.Status));
        Assert.Equal(1000, values.Sum());
        // 1,000 = 16 x 62 + 8: keys 0-7 got 63 casts, keys 8-15 got 62.
        Assert.Equal(Enumerable.Range(0, 16).Select(k => k < 8 ? 63L : 62L), values);
    }

    [Fact]
    public async Task Call_NoReplyWithinTimeout_Returns202ThenTheSameReplyOnEveryReadUntilTheSweepAfterRetention()
    {
        // No worker yet: the call cannot be answered in time, whatever the machine's speed.
        await using var host = await EngineHost.StartAsync(engine.NewOptions("Timeout") with { StartWorker = false });
        var http = new GenServerHttp(host.Registry, host.Client);

        var timedOut = await http.CallAsync("tally", "slow", "add", "5", "?timeoutMs=1");
        Assert.True(timedOut.Status == 202, $"expected 202, got {timedOut}");
        var callId = timedOut.Body.GetProperty("instanceId").GetString()!;
        var pending = await http.GetCallAsync(callId);
        await host.StartWorkerAsync();
        await Eventually.WaitForAsync(
            () => http.StateAsync("tally", "slow"), s => s?.GetProperty("total").GetInt64() == 5, "the call's effect");
        var reply = await Eventually.WaitForAsync(() => http.GetCallAsync(callId), a => a.Status != 202, "the call's reply");
        var reads = new List<HttpAnswer>();
        for (var i = 0; i < 3; i++)
        {
            reads.Add(await http.GetCallAsync(callId));
        }

        // Within the retention nothing is swept; past it (the sweeper's clock 11 minutes on) the reply goes.
        var sweptEarly = await new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance).SweepAsync(host.Client);
        var late = new GenServerClient(new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(11)), NullLogger<GenServerClient>.Instance);
        var swept = await late.SweepAsync(host.Client);
        var gone = await http.GetCallAsync(callId);

        Assert.Equal($"/api/calls/{callId}", timedOut.Headers.Location.ToString());
        Assert.Equal("1", timedOut.Headers.RetryAfter.ToString());
        Assert.Equal("pending", timedOut.Body.GetProperty("status").GetString());
        Assert.Equal($"http://localhost:7071/api/calls/{callId}", timedOut.Body.GetProperty("statusUrl").GetString());
        Assert.Equal(202, pending.Status);
        Assert.Equal(200, reply.Status);
        Assert.Equal(5, reply.Body.GetProperty("result").GetInt64());
        Assert.All(reads, r => Assert.Equal((200, 5L), (r.Status, r.Body.GetProperty("result").GetInt64())));
        Assert.Equal(0, sweptEarly);
        Assert.Equal(1, swept);
        Assert.Equal(404, gone.Status);
    }

    [Fact]
    public async Task Call_OneAfterAnother_ReuseOneCallerIdAndPurgeNothing()
    {
        var (host, http) = await StartAsync();

        var answers = new List<HttpAnswer> { await http.CallAsync("tally", "reused", "add", "1") };
        var afterFirst = await CallInstancesAsync(host);
        for (var i = 2; i <= 3; i++)
        {
            answers.Add(await http.CallAsync("tally", "reused", "add", "1"));
        }

        var afterThird = await CallInstancesAsync(host);

        Assert.Equal([1L, 2L, 3L], answers.Select(a => a.Body.GetProperty("result").GetInt64()));
        Assert.Equal(afterFirst.Keys.Order(), afterThird.Keys.Order());
        Assert.All(afterThird.Values, s => Assert.Equal(OrchestrationRuntimeStatus.Completed, s));
    }

    private static async Task<Dictionary<string, OrchestrationRuntimeStatus>> CallInstancesAsync(EngineHost host)
    {
        var instances = new Dictionary<string, OrchestrationRuntimeStatus>();
        await foreach (var instance in host.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = GenServerClient.CallIdPrefix }))
        {
            instances[instance.InstanceId] = instance.RuntimeStatus;
        }

        return instances;
    }

    [Fact]
    public async Task Delete_OneOfThree_StateGoneAndListShowsOnlyLiveOnes()
    {
        var (_, http) = await StartAsync();
        foreach (var key in new[] { "life-a", "life-b", "life-c" })
        {
            await http.CastAsync("counter", key, "increment");
        }

        await Eventually.WaitForAsync(() => http.StateAsync("counter", "life-c"), s => s is not null, "life-c's state");
        await Eventually.WaitForAsync(() => http.StateAsync("counter", "life-a"), s => s is not null, "life-a's state");
        await Eventually.WaitForAsync(() => http.StateAsync("counter", "life-b"), s => s is not null, "life-b's state");

        var deleted = await http.DeleteAsync("counter", "life-b");
        var gone = await Eventually.WaitForAsync(() => http.GetAsync("counter", "life-b"), a => a.Status == 404, "life-b to be gone");
        var list = await http.ListAsync("counter", "?prefix=life-");

        Assert.Equal(202, deleted.Status);
        Assert.Equal("application/problem+json", gone.ContentType);
        Assert.Equal(200, list.Status);
        Assert.Equal(["life-a", "life-c"], list.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()).Order());
    }

    [Fact]
    public async Task List_TopOne_PagesWithContinuation()
    {
        var (_, http) = await StartAsync();
        await http.CastAsync("counter", "page-1", "increment");
        await http.CastAsync("counter", "page-2", "increment");
        await Eventually.WaitForAsync(() => http.StateAsync("counter", "page-1"), s => s is not null, "page-1's state");
        await Eventually.WaitForAsync(() => http.StateAsync("counter", "page-2"), s => s is not null, "page-2's state");

        var keys = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var query = "?prefix=page-&top=1" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            var page = await http.ListAsync("counter", query);
            Assert.Equal(200, page.Status);
            var items = page.Body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()!).ToList();
            Assert.True(items.Count <= 1, $"a page of top=1 had {items.Count} items");
            keys.AddRange(items);
            continuation = page.Body.GetProperty("continuation").GetString();
            pages++;
        }
        while (continuation is not null && pages < 10);

        Assert.Equal(["page-1", "page-2"], keys.Order());
        Assert.True(pages >= 2, $"expected at least two pages, got {pages}");
    }

    [Fact]
    public async Task Call_InvalidInput_Returns400AndNothingReachesTheServer()
    {
        var (_, http) = await StartAsync();

        var answer = await http.CallAsync("counter", "guarded", "increment", "0");
        var state = await http.GetAsync("counter", "guarded");

        Assert.Equal(400, answer.Status);
        Assert.Equal("application/problem+json", answer.ContentType);
        Assert.Equal(404, state.Status);
    }

    [Fact]
    public async Task Health_StorageReachable_Returns200()
    {
        var (_, http) = await StartAsync();

        var answer = await http.HealthAsync();

        Assert.Equal(200, answer.Status);
        Assert.Equal("healthy", answer.Body.GetProperty("status").GetString());
    }
}
