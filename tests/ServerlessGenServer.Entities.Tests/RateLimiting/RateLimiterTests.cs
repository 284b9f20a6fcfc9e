using System.ComponentModel.DataAnnotations;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.RateLimiting;

/// <summary>The limiter's rules, run through its RunAsync with the in-memory fakes and a fake clock.</summary>
public sealed class RateLimiterTests : IDisposable
{
    private static readonly EntityInstanceId Shard0 = new("ratelimiter", "0");
    private TestServices _services;
    private int _capacity = 10;
    private FakeEntity _entity = new(Shard0);

    public RateLimiterTests() => _services = Services();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Check_BurstToCapacity_AllowsTenThenDenies()
    {
        var replies = new List<CheckReply>();
        for (var i = 0; i < 12; i++)
        {
            replies.Add(await Check("user-1"));
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => 9 - i), replies.Take(10).Select(r => r.Remaining));
        Assert.All(replies.Take(10), r => Assert.Equal((true, 10, 0L), (r.Allowed, r.Limit, r.RetryAfterMs)));
        Assert.Equal(new CheckReply(false, 0, 10, RetryAfterMs: 500, ResetMs: 5_000), replies[10]);
        Assert.Equal(replies[10], replies[11]);
        Assert.Equal(500, replies[0].ResetMs);
    }

    [Fact]
    public async Task Check_AfterEmptying_RefillsAtExactlyTheConfiguredRate()
    {
        await Empty("user-1");

        Advance(499);
        var early = await Check("user-1");
        Advance(1);
        var onTime = await Check("user-1");
        Advance(2_000);
        var later = await Check("user-1", cost: 4);

        Assert.Equal(new CheckReply(false, 0, 10, RetryAfterMs: 1, ResetMs: 4_501), early);
        Assert.Equal(new CheckReply(true, 0, 10, RetryAfterMs: 0, ResetMs: 5_000), onTime);
        Assert.Equal(new CheckReply(true, 0, 10, RetryAfterMs: 0, ResetMs: 5_000), later);
    }

    [Fact]
    public async Task Check_FractionalRate_KeepsTheFractions()
    {
        Configure(capacity: 2, refillPerSecond: 0.3);
        await Empty("user-1");

        Advance(1_000);
        var partial = await Check("user-1");
        Advance(2_333);
        var justShort = await Check("user-1");
        Advance(1);
        var whole = await Check("user-1");

        // 0.3 tokens after 1 s: 0.7 missing = 2,333.3 ms, rounded up.
        Assert.Equal(new CheckReply(false, 0, 2, RetryAfterMs: 2_334, ResetMs: 5_667), partial);
        Assert.False(justShort.Allowed);
        Assert.Equal(1, justShort.RetryAfterMs);
        Assert.True(whole.Allowed);
        Assert.Equal(0.0002, Bucket("user-1").Tokens, precision: 9);
    }

    [Fact]
    public async Task Check_TenthsAddedUpInManySteps_AllowAtTheWholeToken()
    {
        // 0.1 added ten times is 0.9999999999999999 in floating point: the check still counts it as one token.
        Configure(capacity: 2, refillPerSecond: 0.1);
        await Empty("user-1");

        var replies = new List<CheckReply>();
        for (var i = 0; i < 10; i++)
        {
            Advance(1_000);
            replies.Add(await Check("user-1"));
        }

        Assert.All(replies.Take(9), r => Assert.False(r.Allowed));
        Assert.True(replies[9].Allowed);
        Assert.Equal(0, replies[9].Remaining);
    }

    [Fact]
    public async Task Check_CostAboveOne_TakesThatManyTokens()
    {
        var four = await Check("user-1", cost: 4);
        var seven = await Check("user-1", cost: 7);
        var six = await Check("user-1", cost: 6);

        Assert.Equal(new CheckReply(true, 6, 10, 0, 2_000), four);
        Assert.Equal(new CheckReply(false, 6, 10, RetryAfterMs: 500, ResetMs: 2_000), seven);
        Assert.Equal(new CheckReply(true, 0, 10, 0, 5_000), six);
    }

    [Fact]
    public async Task Check_CostAboveCapacity_ThrowsValidationException()
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => Check("user-1", cost: 11));

        Assert.Contains("above the capacity 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KeyOfAnotherShard_ThrowsNamingItsShard()
    {
        Configure(shards: 16);
        _entity = new FakeEntity(new EntityInstanceId("ratelimiter", "3"));

        var ex = await Assert.ThrowsAsync<ValidationException>(() => Check("user-42"));

        Assert.Contains("belongs to shard 14 of 16", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KeyOfThisShard_IsAnswered()
    {
        Configure(shards: 16);
        _entity = new FakeEntity(new EntityInstanceId("ratelimiter", "14"));

        Assert.True((await Check("user-42")).Allowed);
    }

    [Fact]
    public async Task Check_NoRefill_HasNoRetryOrResetTime()
    {
        Configure(refillPerSecond: 0);
        await Empty("user-1");

        Advance(3_600_000);
        var reply = await Check("user-1");

        Assert.Equal(new CheckReply(false, 0, 10, RetryAfterMs: null, ResetMs: null), reply);
    }

    [Fact]
    public async Task Check_ClockBehindTheBucket_DoesNotTakeTokensBack()
    {
        // Another worker, whose clock is 10 s ahead, stored the bucket.
        var ahead = _services.Time.GetUtcNow().AddSeconds(10).ToUnixTimeMilliseconds();
        _entity.State.SetState(new GenServerEnvelope { Version = 1, State = new RateLimiterState { Buckets = { ["user-1"] = new TokenBucket(5, ahead) } } });

        var reply = await Check("user-1");

        Assert.Equal(4, reply.Remaining);
        Assert.Equal(new TokenBucket(4, ahead), Bucket("user-1"));
    }

    [Fact]
    public async Task Check_SameChecksWithOrWithoutRefills_GiveTheSameAnswers()
    {
        var withRefills = await RunScript(refillBetween: true);
        _services.Dispose();
        _services = Services();
        _entity = new FakeEntity(Shard0);
        var without = await RunScript(refillBetween: false);

        Assert.Equal(without, withRefills);
        Assert.Contains(withRefills, r => !r.Allowed);
    }

    [Fact]
    public async Task Check_FirstBucket_StartsOneCompactionTimer()
    {
        var start = _services.Time.GetUtcNow();

        await Check("user-1");
        await Check("user-2");

        var signal = Assert.Single(_entity.Context.Signals);
        Assert.Equal((Shard0, GenServerTimer.FiringOperation, (DateTimeOffset?)start.AddMinutes(1)), (signal.Target, signal.Operation, signal.At));
        Assert.Equal(RateLimiter.CompactionTimer, Assert.IsType<TimerFiring>(signal.Input).Name);
    }

    [Fact]
    public async Task Refill_TimerFires_DropsFullBucketsAndReArms()
    {
        await Check("full-soon");
        Advance(59_000);
        await Check("busy", cost: 10);
        Advance(1_000);

        await Fire(_entity.Context.Signals[^1]);

        Assert.Equal(["busy"], State.Buckets.Keys);
        Assert.Equal(2, _entity.Context.Signals.Count);
        Assert.NotEqual(_entity.Context.Signals[0].Input, _entity.Context.Signals[1].Input);
        Assert.Equal(_services.Time.GetUtcNow().AddMinutes(1), _entity.Context.Signals[^1].At);
    }

    [Fact]
    public async Task Refill_EverythingFull_StopsTheTimerUntilTheNextNewBucket()
    {
        await Check("user-1");
        Advance(60_000);

        await Fire(_entity.Context.Signals[^1]);
        var signalsAfterRefill = _entity.Context.Signals.Count;
        await Check("user-2");

        Assert.Equal(1, signalsAfterRefill);
        Assert.Equal(2, _entity.Context.Signals.Count);
        Assert.Equal(GenServerTimer.FiringOperation, _entity.Context.Signals[^1].Operation);
    }

    [Fact]
    public async Task Refill_DuplicateAndStaleFirings_DoNothing()
    {
        await Check("user-1", cost: 10);
        Advance(60_000);
        await Check("user-2", cost: 10);
        var first = _entity.Context.Signals[^1];
        await Fire(first);
        var state = Snapshot();
        var signals = _entity.Context.Signals.Count;

        await Fire(first);
        Advance(60_000);
        await Fire(first);

        Assert.Equal(state, Snapshot());
        Assert.Equal(signals, _entity.Context.Signals.Count);
    }

    [Fact]
    public async Task Refill_TimerPokesWhileTheTimerRuns_DoNothing()
    {
        await Check("user-1");
        Advance(119_000);
        var state = Snapshot();

        await Refill(RateLimiter.Poke);
        await Refill(RateLimiter.Poke);

        Assert.Equal(state, Snapshot());
        Assert.Single(_entity.Context.Signals);
    }

    [Fact]
    public async Task Refill_TimerPokeAfterTheFiringWasLost_ReArmsOnceAndOutdatesTheOldFiring()
    {
        await Check("full-soon");
        var lost = _entity.Context.Signals[^1];
        Advance(120_001);
        State.Buckets["busy"] = new TokenBucket(0, NowMs); // checked by another path while the timer was gone

        await Refill(RateLimiter.Poke);
        await Refill(RateLimiter.Poke);
        var state = Snapshot();
        await Fire(lost);

        Assert.Equal(["busy"], State.Buckets.Keys);
        Assert.Equal(2, _entity.Context.Signals.Count);
        Assert.Equal(state, Snapshot());
        Assert.Contains(_services.Logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("firing was lost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_TimerAWholeIntervalOverdue_ReArmsIt()
    {
        await Check("user-1");
        Advance(120_000);
        await Check("user-2");
        var stillAlive = _entity.Context.Signals.Count;
        Advance(1);

        await Check("user-3");

        Assert.Equal(1, stillAlive);
        Assert.Equal(2, _entity.Context.Signals.Count);
        Assert.Equal(_services.Time.GetUtcNow().AddMinutes(1), _entity.Context.Signals[^1].At);
    }

    [Fact]
    public async Task Refill_TimerPokeOnAShardWithNoState_CreatesNothing()
    {
        await Refill(RateLimiter.Poke);

        Assert.Empty(_entity.Context.Signals);
        Assert.Null(_entity.State.Value);
    }

    [Fact]
    public async Task Check_NewKeyAtTheBound_EvictsTheLongestIdle()
    {
        Configure(refillPerSecond: 0, maxKeysPerShard: 3);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await Check(key);
            Advance(1_000);
        }

        await Check("a");
        await Check("d");

        Assert.Equal(["a", "c", "d"], State.Buckets.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(_services.Logs.Entries, e => e.Message.Contains("evicted 1 longest-idle", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_NewKeyAtTheBound_DropsFullBucketsBeforeEvicting()
    {
        Configure(maxKeysPerShard: 3);
        await Check("idle-but-busy", cost: 10);
        Advance(1_000);
        await Check("refills-first");
        await Check("recent", cost: 10);
        Advance(500);

        await Check("new");

        Assert.Equal(["idle-but-busy", "new", "recent"], State.Buckets.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Check_ManyNewKeys_NeverExceedTheBound()
    {
        Configure(refillPerSecond: 0, maxKeysPerShard: 50);

        for (var i = 0; i < 500; i++)
        {
            Advance(1);
            await Check($"user-{i}");
            Assert.InRange(State.Buckets.Count, 1, 50);
        }

        Assert.Equal(Enumerable.Range(450, 50).Select(i => $"user-{i}").Order(StringComparer.Ordinal),
            State.Buckets.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Check_BoundLowered_EvictsDownToIt()
    {
        Configure(refillPerSecond: 0, maxKeysPerShard: 10);
        for (var i = 0; i < 10; i++)
        {
            await Check($"user-{i}");
            Advance(1);
        }

        Configure(refillPerSecond: 0, maxKeysPerShard: 4);
        await Check("new");

        Assert.Equal(["new", "user-7", "user-8", "user-9"], State.Buckets.Keys.Order(StringComparer.Ordinal));
    }

    private RateLimiterState State => _entity.State.Server<RateLimiterState>()!;

    private TokenBucket Bucket(string key) => State.Buckets[key];

    private string Snapshot() => System.Text.Json.JsonSerializer.Serialize(State, GenServerJson.Options);

    private async Task<List<CheckReply>> RunScript(bool refillBetween)
    {
        var replies = new List<CheckReply>();
        var sequence = 0L;
        for (var i = 0; i < 40; i++)
        {
            replies.Add(await Check(i % 3 == 0 ? "user-1" : "user-2", cost: 1 + (i % 4)));
            Advance(137 * (i % 5));
            if (refillBetween && i % 7 == 0)
            {
                await Refill(RateLimiter.Poke);
                await Refill(++sequence);
                Advance(60_000);
            }
            else if (!refillBetween && i % 7 == 0)
            {
                Advance(60_000);
            }
        }

        return replies;
    }

    private async Task Empty(string key) => Assert.True((await Check(key, cost: _capacity)).Allowed);

    private async Task<CheckReply> Check(string key, int cost = 1) =>
        (CheckReply)(await _entity.RunAsync(_services.Create<RateLimiter>(), "check", new CheckRequest(key, cost)))!;

    private async Task Fire((EntityInstanceId Target, string Operation, object? Input, DateTimeOffset? At) signal) =>
        await _entity.RunAsync(_services.Create<RateLimiter>(), signal.Operation, signal.Input);

    private async Task Refill(long sequence) => await _entity.RunAsync(_services.Create<RateLimiter>(), "refill", sequence);

    private long NowMs => _services.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Advance(long ms) => _services.Time.Advance(TimeSpan.FromMilliseconds(ms));

    private void Configure(int capacity = 10, double refillPerSecond = 2, int shards = 1, int maxKeysPerShard = 10_000)
    {
        var time = _services.Time;
        _capacity = capacity;
        _services.Dispose();
        _services = Services(capacity, refillPerSecond, shards, maxKeysPerShard, time);
    }

    private static TestServices Services(
        int capacity = 10, double refillPerSecond = 2, int shards = 1, int maxKeysPerShard = 10_000,
        Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null) =>
        new(time, new Dictionary<string, string?>
        {
            ["RateLimiter:Capacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiter:RefillPerSecond"] = refillPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiter:Shards"] = shards.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiter:MaxKeysPerShard"] = maxKeysPerShard.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
}
