using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Ticking;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The ticker's self-scheduled chain on the real engine: timing, duplicates, restarts of the worker, stop.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class TickerEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    private const long IntervalMs = Ticker.MinIntervalMs;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(IntervalMs);
    private static readonly string StartBody = $$"""{"intervalMs":{{IntervalMs}}}""";

    /// <summary>How long the ticker goes without a worker: long enough for two ticks to fall due meanwhile.</summary>
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(2.5);

    /// <summary>The control-queue visibility timeout of the restart tests (host.json: 1 minute), to keep them short.</summary>
    private static readonly TimeSpan RecoveryWindow = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a killed worker keeps its partitions: it cannot release their leases, so the next worker waits for them
    /// to expire (DurableTask.AzureStorage's LeaseInterval default, 30 s; not a host.json setting).
    /// </summary>
    private static readonly TimeSpan LeaseInterval = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Tick_WorkerStoppedAndReplaced_CountsEachIntervalOnceAndStopEndsTheChain()
    {
        // A tick the stopping worker had already fetched is hidden from the next worker until the control-queue
        // visibility timeout ends (host.json: 1 minute); a shorter one keeps this test short.
        var options = engine.NewOptions("TickerRestart") with { ControlQueueVisibilityTimeout = RecoveryWindow };
        // A client-only host on the same task hub sends and reads throughout, whichever worker runs.
        await using var client = await EngineHost.StartAsync(options with { StartWorker = false });
        var http = new GenServerHttp(client.Registry, client.Client);
        var entities = client.Client.Entities;
        var id = new EntityInstanceId("ticker", "restart");

        await using var first = await EngineHost.StartAsync(options);
        await http.CastAsync("ticker", id.Key, "start", StartBody);
        var before = await WatchAsync(entities, id, s => s.Ticks >= 4, "four ticks on the first worker");
        var stopIssued = DateTimeOffset.UtcNow;
        await first.StopAsync();
        var atStop = new Sample(DateTimeOffset.UtcNow, await ReadAsync(entities, id)); // a tick in hand is finished first
        await Task.Delay(Downtime); // the outage itself: no worker runs
        var afterDowntime = await ReadAsync(entities, id);

        var restartedAt = DateTimeOffset.UtcNow;
        await using var second = await EngineHost.StartAsync(options);
        var after = await WatchAsync(entities, id, s => s.Ticks >= atStop.State.Ticks + 4, "four ticks on the fresh worker");

        await http.CastAsync("ticker", id.Key, "stop");
        var stopped = await WatchAsync(entities, id, s => !s.Running, "the stop");
        await Task.Delay(3 * Interval); // the tick in flight, and two more had the chain gone on, fall due meanwhile
        var status = await http.CallAsync("ticker", id.Key, "status");

        output.WriteLine($"Graceful stop took {(atStop.At - stopIssued).TotalMilliseconds:0} ms; the fresh worker started {(restartedAt - stopIssued).TotalMilliseconds:0} ms after the stop");
        Assert.Equal(atStop.State.Ticks, afterDowntime.Ticks); // nothing ticks without a worker
        AssertResumedOnce(before, atStop, after, stopIssued, RecoveryWindow + Slack);
        Assert.Equal(after[^1].State.Ticks, stopped[^1].State.Ticks);
        Assert.Equal(200, status.Status);
        Assert.False(status.Body.GetProperty("result").GetProperty("running").GetBoolean());
        Assert.Equal(stopped[^1].State.Ticks, status.Body.GetProperty("result").GetProperty("ticks").GetInt64());
    }

    [Fact]
    public async Task Tick_WorkerKilledAndReplaced_CountsEachIntervalOnce()
    {
        var options = engine.NewOptions("TickerKill") with { ControlQueueVisibilityTimeout = RecoveryWindow };
        await using var client = await EngineHost.StartAsync(options with { StartWorker = false });
        var http = new GenServerHttp(client.Registry, client.Client);
        var entities = client.Client.Entities;
        var id = new EntityInstanceId("ticker", "killed");

        await using var first = await WorkerProcess.StartAsync(engine.Azurite.ConnectionString, options.TaskHubName, RecoveryWindow);
        await http.CastAsync("ticker", id.Key, "start", StartBody);
        var before = await WatchAsync(entities, id, s => s.Ticks >= 4, "four ticks on the first worker");
        var killedAt = DateTimeOffset.UtcNow;
        await first.KillAsync(); // perhaps mid-batch: a tick handled but its message not yet deleted comes back later
        var atKill = new Sample(DateTimeOffset.UtcNow, await ReadAsync(entities, id));

        await using var second = await EngineHost.StartAsync(options);
        var after = await WatchAsync(entities, id, s => s.Ticks >= atKill.State.Ticks + 4, "four ticks on the fresh worker");
        await http.CastAsync("ticker", id.Key, "stop");
        await WatchAsync(entities, id, s => !s.Running, "the stop");

        AssertResumedOnce(before, atKill, after, killedAt, LeaseInterval + RecoveryWindow + Slack);
    }

    [Fact]
    public async Task Start_TwiceInARow_OnlyTheSecondChainCounts()
    {
        var host = await engine.HostForAsync(this);
        var http = new GenServerHttp(host.Registry, host.Client);
        var id = new EntityInstanceId("ticker", "twice");

        // Both chains are due at about the same time: a ticker that counted the first chain's tick would count twice.
        await http.CastAsync("ticker", id.Key, "start", StartBody);
        await http.CastAsync("ticker", id.Key, "start", StartBody);
        var samples = await WatchAsync(host.Client.Entities, id, s => s.Ticks >= 4, "four ticks");
        await http.CastAsync("ticker", id.Key, "stop");
        var stopped = await WatchAsync(host.Client.Entities, id, s => !s.Running, "the stop");

        var ticks = TickTimes(samples);
        output.WriteLine($"Started twice: {samples[^1].State.Ticks} ticks, spacing {Spacing(ticks, ticks.Keys.First(), ticks.Keys.Max())}");
        var chains = samples.Select(s => s.State.Chain).Distinct().ToList();
        Assert.InRange(chains.Count, 1, 2); // the first chain may be seen once, before the second start replaced it
        Assert.All(samples.Where(s => s.State.Ticks > 0), s => Assert.Equal(chains[^1], s.State.Chain));
        AssertNeverGoesBack(samples);
        AssertNoneCloserThanAnInterval(ticks);
        AssertOneIntervalApart(ticks, ticks.Keys.First(), samples[^1].State.Ticks);
        Assert.Null(stopped[^1].State.Chain);
    }

    private sealed record Sample(DateTimeOffset At, TickerStatus State);

    // After an outage of the worker at outageAt (the state then: atOutage): the count never went back, every tick was
    // one interval after the one before in each phase, the ticks missed during the outage were not made up in a burst,
    // and ticking resumed within `bound`. The watch may miss a count on a loaded machine; the checks allow for that.
    private void AssertResumedOnce(List<Sample> before, Sample atOutage, List<Sample> after, DateTimeOffset outageAt, TimeSpan bound)
    {
        List<Sample> all = [.. before, atOutage, .. after];
        var ticks = TickTimes(all);
        var lastBefore = atOutage.State.Ticks;
        var firstAfter = ticks.Keys.First(k => k > lastBefore);
        // Tick lastBefore + 1 itself, or the latest it can have been if the watch saw only a later one.
        var resumed = ticks[firstAfter] - ((firstAfter - lastBefore - 1) * (Interval - GenServerTimer.EarlyTolerance));
        output.WriteLine($"First worker: {lastBefore} ticks, spacing {Spacing(ticks, ticks.Keys.First(), lastBefore)}");
        output.WriteLine($"Fresh worker: first tick {(resumed - outageAt).TotalMilliseconds:0} ms after the outage began, " +
                         $"then spacing {Spacing(ticks, firstAfter, ticks.Keys.Max())}");

        Assert.True(atOutage.State.Running);
        AssertNeverGoesBack(all);
        AssertOneIntervalApart(ticks, ticks.Keys.First(), lastBefore);
        AssertOneIntervalApart(ticks, firstAfter, after[^1].State.Ticks);
        AssertNoneCloserThanAnInterval(ticks); // across the outage too: no burst of missed ticks
        Assert.True(resumed - outageAt <= bound, $"ticking resumed {(resumed - outageAt).TotalSeconds:0.0} s after the outage, more than {bound.TotalSeconds:0} s");
    }

    private static async Task<TickerStatus> ReadAsync(DurableEntityClient entities, EntityInstanceId id) =>
        await StatusAsync(entities, id) ?? throw new InvalidOperationException($"{id} has no state.");

    // The stored state as the ticker's status reports it: its record and its timer's due time.
    private static async Task<TickerStatus?> StatusAsync(DurableEntityClient entities, EntityInstanceId id) =>
        await entities.GetServerStateAsync<TickerState>(id) is { } read
            ? new TickerStatus(read.State.Running, read.State.IntervalMs, read.State.Ticks, read.State.MaxTicks, read.State.Chain, read.TimerDue(Ticker.TickTimer))
            : null;

    /// <summary>
    /// Reads the ticker's stored state about every 100 ms until <paramref name="done"/>: the states it saw, in order. A
    /// state that lasted less than one read (a loaded machine) can be missed.
    /// </summary>
    private static async Task<List<Sample>> WatchAsync(
        DurableEntityClient entities, EntityInstanceId id, Func<TickerStatus, bool> done, string what)
    {
        var samples = new List<Sample>();
        await Eventually.WaitForAsync(
            async () =>
            {
                var state = await StatusAsync(entities, id);
                if (state is not null && (samples.Count == 0 || samples[^1].State != state))
                {
                    samples.Add(new Sample(DateTimeOffset.UtcNow, state));
                }

                return state;
            },
            s => s is not null && done(s),
            what,
            TimeSpan.FromSeconds(90));
        return samples;
    }

    /// <summary>
    /// When each count was reached, by the entity's clock: a running ticker's next tick is due one interval after it
    /// handled the last one (after that one's due time, if it came a little early), so <c>nextTickAt - interval</c> is
    /// the time of tick <c>ticks</c> (0: the start).
    /// </summary>
    private static SortedDictionary<long, DateTimeOffset> TickTimes(IEnumerable<Sample> samples)
    {
        var times = new SortedDictionary<long, DateTimeOffset>();
        foreach (var s in samples.Where(s => s.State is { Running: true, NextTickAt: not null }))
        {
            times.TryAdd(s.State.Ticks, s.State.NextTickAt!.Value - Interval);
        }

        return times;
    }

    private static void AssertNeverGoesBack(IReadOnlyList<Sample> samples)
    {
        for (var i = 1; i < samples.Count; i++)
        {
            Assert.True(samples[i].State.Ticks >= samples[i - 1].State.Ticks, $"the count went from {samples[i - 1].State.Ticks} back to {samples[i].State.Ticks}");
        }
    }

    // No tick was counted twice or ahead of time: between any two counts seen, k ticks took at least k intervals (less
    // the early tolerance). A duplicate or a burst is counted at once, so it cannot hide between two samples.
    private static void AssertNoneCloserThanAnInterval(SortedDictionary<long, DateTimeOffset> ticks)
    {
        foreach (var (from, to) in ticks.Keys.Zip(ticks.Keys.Skip(1)))
        {
            var gap = ticks[to] - ticks[from];
            Assert.True(gap >= (to - from) * (Interval - GenServerTimer.EarlyTolerance), $"ticks {from}..{to} came {gap.TotalMilliseconds:0} ms apart");
        }
    }

    // Ticks from..to (those seen) kept to the interval: none early, and none later than the engine's delivery allows,
    // so no interval was skipped. Together with the check above, k ticks took between k intervals and k late intervals.
    private static void AssertOneIntervalApart(SortedDictionary<long, DateTimeOffset> ticks, long from, long to)
    {
        var seen = ticks.Keys.Where(k => k >= from && k <= to).ToList();
        Assert.True(seen.Count >= 2, $"the watch saw {seen.Count} of ticks {from}..{to}");
        foreach (var (a, b) in seen.Zip(seen.Skip(1)))
        {
            var gap = ticks[b] - ticks[a];
            Assert.True(gap <= (b - a) * (Interval + Delivery.MaxLateness), $"ticks {a}..{b} came {gap.TotalMilliseconds:0} ms apart");
        }
    }

    // The time per tick between the ticks seen from..to: least, most and mean.
    private static string Spacing(SortedDictionary<long, DateTimeOffset> ticks, long from, long to)
    {
        var seen = ticks.Keys.Where(k => k >= from && k <= to).ToList();
        var gaps = seen.Zip(seen.Skip(1)).Select(p => (ticks[p.Second] - ticks[p.First]).TotalMilliseconds / (p.Second - p.First)).ToList();
        return gaps.Count == 0 ? "n/a" : $"{gaps.Min():0}–{gaps.Max():0} ms (mean {gaps.Average():0})";
    }
}
