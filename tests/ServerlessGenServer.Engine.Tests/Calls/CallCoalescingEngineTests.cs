using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Faults;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Calls;

/// <summary>Calls made together share call orchestrations, and each still gets its own reply, error and timeout.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class CallCoalescingEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CallAsync_200ConcurrentCallsTo16Entities_EachGetsItsOwnReplyOverFewCallerIds()
    {
        var host = await HostAsync();
        var client = Client();

        // Entity e adds 1000e + 1 per call: a reply names its entity, and each entity's replies are its running totals.
        var calls = Enumerable.Range(0, 200).Select(i => (Entity: i % 16, Task: client.CallAsync(host.Client,
            new CallRequest("tally", $"many-{i % 16}", "Add", Json(1000 * (i % 16) + 1)), Patience))).ToList();
        await Task.WhenAll(calls.Select(c => c.Task));

        foreach (var group in calls.GroupBy(c => c.Entity))
        {
            var step = 1000L * group.Key + 1;
            var replies = group.Select(c => c.Task.Result).ToList();
            Assert.All(replies, r => Assert.Equal(CallStatus.Replied, r.Status));
            Assert.Equal(Enumerable.Range(1, replies.Count).Select(k => k * step), replies.Select(r => r.Reply!.Value.GetInt64()).Order());
        }

        var ids = calls.Select(c => CallId.TryParse(c.Task.Result.InstanceId, out var id, out var index) ? (id, index) : default).ToList();
        output.WriteLine($"{ids.Select(i => i.id).Distinct().Count()} caller ids, largest batch index {ids.Max(i => i.index)}");
        Assert.InRange(ids.Select(i => i.id).Distinct().Count(), 1, 16);
        Assert.True(ids.Max(i => i.index) >= 10, "no run carried more than ten calls");
    }

    [Fact]
    public async Task CallAsync_OneOperationThrows_FailsOnlyItsOwnCall()
    {
        var host = await HostAsync();
        var client = Client(maxBatchesInFlight: 1);

        var first = client.CallAsync(host.Client, new CallRequest("tally", "mixed-first", "Add", Json(1)), Patience);
        // Queued while the first run is in flight: these go together in the next run.
        var good = Enumerable.Range(1, 8)
            .Select(i => client.CallAsync(host.Client, new CallRequest("tally", "mixed", "Add", Json(1)), Patience)).ToList();
        var bad = client.CallAsync(host.Client, new CallRequest("fragile", "mixed", "AddThenFail", Json(5)), Patience);
        await Task.WhenAll([first, bad, .. good]);

        var failed = await bad;
        Assert.Equal((CallStatus.Failed, typeof(InvalidOperationException).FullName), (failed.Status, failed.ErrorType));
        Assert.Equal("5 was not added after all.", failed.Error);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), good.Select(g => g.Result.Reply!.Value.GetInt64()).Order());
        Assert.All(good, g => Assert.Equal(RunOf(failed), RunOf(g.Result)));
    }

    [Fact]
    public async Task CallAsync_OneEntityWithABacklog_OthersInTheSameRunReplyWithoutWaitingForIt()
    {
        // Small entity batches make a backlog of 400 signals take seconds to drain.
        await using var host = await EngineHost.StartAsync(engine.NewOptions("Backlog") with { StartWorker = false, MaxEntityOperationBatchSize = 5 });
        var busy = new EntityInstanceId("tally", "busy");
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (_, ct) => await host.Client.Entities.SignalEntityAsync(busy, "Add", 1L, cancellation: ct));
        await host.StartWorkerAsync();
        var client = Client(maxBatchesInFlight: 1);

        var clock = Stopwatch.StartNew();
        var blocker = Timed(client.CallAsync(host.Client, new CallRequest("tally", "busy", "Add", Json(1)), Patience), clock);
        var late = Timed(client.CallAsync(host.Client, new CallRequest("tally", "busy", "Add", Json(1)), Patience), clock);
        var others = Enumerable.Range(0, 15)
            .Select(i => Timed(client.CallAsync(host.Client, new CallRequest("tally", $"idle-{i}", "Add", Json(1)), Patience), clock)).ToList();
        await Task.WhenAll([blocker, late, .. others]);

        var (lateReply, lateMs) = await late;
        var (blockerReply, _) = await blocker;
        var idle = await Task.WhenAll(others);
        output.WriteLine($"busy call {lateMs} ms; others {string.Join(", ", idle.Select(o => o.Ms))} ms");
        Assert.Equal([401L, 402L], new[] { blockerReply.Reply!.Value.GetInt64(), lateReply.Reply!.Value.GetInt64() }.Order());
        Assert.All(idle, o => Assert.Equal(RunOf(lateReply), RunOf(o.Result)));
        Assert.All(idle, o => Assert.Equal(1, o.Result.Reply!.Value.GetInt64()));
        Assert.All(idle, o => Assert.True(o.Ms < lateMs, $"a call to an idle entity took {o.Ms} ms, the busy one {lateMs} ms"));
    }

    private static string RunOf(CallResult result) =>
        CallId.TryParse(result.InstanceId, out var instanceId, out _) ? instanceId : throw new InvalidOperationException($"'{result.InstanceId}' is not a call id.");

    private Task<EngineHost> HostAsync() =>
        engine.HostForAsync(this, o => o with { ExtraServers = [.. o.ExtraServers, typeof(Fragile)] });

    private static async Task<(CallResult Result, long Ms)> Timed(Task<CallResult> call, Stopwatch clock)
    {
        var result = await call;
        return (result, clock.ElapsedMilliseconds);
    }

    private static GenServerClient Client(int maxBatchesInFlight = 4) => new(TimeProvider.System, NullLogger<GenServerClient>.Instance,
        calls: Options.Create(new CallOptions { MaxBatchesInFlight = maxBatchesInFlight }));

    private static JsonElement Json(long value) => JsonSerializer.SerializeToElement(value, GenServerJson.Options);
}
