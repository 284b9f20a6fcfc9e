using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.Functions.Tests.RateLimiting;

/// <summary>The in-memory path over a real shard run in memory, on a fake clock.</summary>
public sealed class LocalRateLimiterTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private InMemoryShard _shard;

    public LocalRateLimiterTests() => _shard = new InMemoryShard(_time, capacity: 10, refillPerSecond: 2);

    public void Dispose() => _shard.Dispose();

    [Fact]
    public async Task Check_AfterTheBucketIsEmptied_DeniesLocallyUntilTheExactRefillTime()
    {
        var limiter = Limiter(new LocalRateLimitOptions { Grants = false });
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await Check(limiter)).Reply!.Allowed);
        }

        var denied = await Check(limiter);
        Advance(499);
        var cached = await Check(limiter);
        var callsBefore = _shard.Calls.Count;
        Advance(1);
        var retried = await Check(limiter);

        Assert.Equal((true, false, 500L), (denied.Local, denied.Reply!.Allowed, denied.Reply.RetryAfterMs!.Value));
        Assert.Equal(new CheckReply(false, 0, 10, RetryAfterMs: 1, ResetMs: 4_501), cached.Reply);
        Assert.True(cached.Local);
        Assert.Equal(10, callsBefore);
        Assert.Equal((false, true), (retried.Local, retried.Reply!.Allowed));
    }

    [Fact]
    public async Task Check_DeniedAtOneCostThenALowerCost_AsksTheShard()
    {
        var limiter = Limiter(new LocalRateLimitOptions { Grants = false });
        await Check(limiter, cost: 9);
        Assert.False((await Check(limiter, cost: 5)).Reply!.Allowed);

        var lower = await Check(limiter, cost: 1);

        Assert.Equal((false, true), (lower.Local, lower.Reply!.Allowed));
    }

    [Fact]
    public async Task Check_DenialCacheOff_AsksTheShardEveryTime()
    {
        var limiter = Limiter(new LocalRateLimitOptions { Grants = false, DenialCache = false });
        for (var i = 0; i < 20; i++)
        {
            await Check(limiter);
        }

        Assert.Equal(20, _shard.Calls.Count);
    }

    [Fact]
    public async Task Check_NeverRefillingBucket_CachesTheDenialForAGrantLifetimeWithNoRetryTime()
    {
        Reshard(capacity: 1, refillPerSecond: 0);
        var limiter = Limiter(new LocalRateLimitOptions { Grants = false });
        await Check(limiter);
        await Check(limiter);

        Advance(4_999);
        var cached = await Check(limiter);

        Assert.True(cached.Local);
        Assert.Equal(new CheckReply(false, 0, 1, RetryAfterMs: null, ResetMs: null), cached.Reply);
        Assert.Single(_shard.Calls);
    }

    [Fact]
    public async Task Check_HotKey_AdmitsFromGrantsAndAsksTheShardRarely()
    {
        Reshard(capacity: 1_000, refillPerSecond: 1_000);
        var limiter = Limiter(new LocalRateLimitOptions { MaxGrant = 50 });
        var admitted = 0;
        for (var i = 0; i < 2_000; i++)
        {
            Advance(1);
            admitted += (await Check(limiter)).Reply!.Allowed ? 1 : 0;
        }

        Assert.Equal(2_000, admitted);
        Assert.InRange(_shard.Calls.Count, 2_000 / 50, 2_000 / 10);
        Assert.All(_shard.Calls, c => Assert.InRange(c.Extra, 0, 50));
    }

    [Fact]
    public async Task Check_GrantPastItsUsableLifetime_IsNotUsedAndGoesUnreturned()
    {
        Reshard(capacity: 100, refillPerSecond: 0);
        var limiter = Limiter(new LocalRateLimitOptions { GrantLifetime = TimeSpan.FromSeconds(2), MaxClockSkew = TimeSpan.FromMilliseconds(250) });
        await Check(limiter);
        Advance(100);
        var granting = await Check(limiter);
        Advance(1_749);
        var lastLocal = await Check(limiter);
        Advance(1);
        var afterUsable = await Check(limiter);

        Assert.True(_shard.Calls[1].Extra > 0);
        Assert.True(lastLocal.Local);
        Assert.False(afterUsable.Local);
        Assert.Null(_shard.Calls[2].ReturnId);
        Assert.False(granting.Local);
    }

    [Fact]
    public async Task Check_RenewingALiveGrant_ReturnsItsUnusedTokens()
    {
        Reshard(capacity: 100, refillPerSecond: 0);
        var limiter = Limiter(new LocalRateLimitOptions { MaxGrant = 3 });
        await Check(limiter);
        Advance(10);
        await Check(limiter);
        var grant = _shard.Calls[1];

        var big = await Check(limiter, cost: 5);

        Assert.Equal(3, grant.Extra);
        Assert.False(big.Local);
        Assert.Equal((grant.GrantId, 3), (_shard.Calls[2].ReturnId, _shard.Calls[2].ReturnTokens));
        Assert.Equal(100 - 1 - 1 - 5, (await _shard.CheckAsync("k", 1)).Remaining + 1);
    }

    [Fact]
    public async Task Check_ManyConcurrentChecksOfOneKey_MakeOneShardCallAtATime()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inside = 0;
        var most = 0;
        _shard.BeforeCall = async () =>
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            await release.Task;
            Interlocked.Decrement(ref inside);
        };
        var limiter = Limiter(new LocalRateLimitOptions { Grants = false });

        var checks = Enumerable.Range(0, 30).Select(_ => Task.Run(() => Check(limiter))).ToList();
        await Task.Delay(50);
        release.SetResult();
        var decisions = await Task.WhenAll(checks);

        Assert.Equal(1, most);
        Assert.Equal(10, decisions.Count(d => d.Reply!.Allowed));
        Assert.Equal(10, _shard.Calls.Count);
        Assert.Equal(20, decisions.Count(d => d.Local));
    }

    [Fact]
    public async Task Check_ShardCallFails_PassesTheFailureOnAndCachesNothing()
    {
        var limiter = Limiter(new LocalRateLimitOptions());
        var failing = new ShardCall((_, _) => Task.FromResult(CallResult.Pending("call-x")));

        var first = await limiter.CheckAsync("k", 1, failing);
        var second = await limiter.CheckAsync("k", 1, _shard.GrantAsync);

        Assert.Equal((null, CallStatus.Pending), (first.Reply, first.Call!.Status));
        Assert.True(second.Reply!.Allowed);
    }

    [Fact]
    public async Task Check_MoreKeysThanTheBound_EvictsIdleThenLeastRecentlyUsed()
    {
        Reshard(capacity: 10, refillPerSecond: 2, shards: 1);
        var limiter = Limiter(new LocalRateLimitOptions { MaxKeys = 3, Grants = false });
        foreach (var key in new[] { "a", "b", "c", "d", "e" })
        {
            Advance(1);
            await limiter.CheckAsync(key, 1, _shard.GrantAsync);
            Assert.InRange(limiter.Count, 1, 3);
        }

        Assert.Equal(limiter.Count * (LocalRateLimiter.EntryBytes + 2), limiter.Bytes);
    }

    [Fact]
    public async Task Check_ByteBound_KeepsTheEstimateUnderIt()
    {
        var limiter = Limiter(new LocalRateLimitOptions { MaxBytes = 64 * 1024, Grants = false });
        Reshard(capacity: 10, refillPerSecond: 2, shards: 1);
        for (var i = 0; i < 1_000; i++)
        {
            await limiter.CheckAsync(new string('k', 100) + i, 1, _shard.GrantAsync);
            Assert.InRange(limiter.Bytes, 1, 64 * 1024);
        }
    }

    [Theory]
    [InlineData(5_000, 2_500)]
    [InlineData(1_000, 600)]
    public void Options_SkewOfHalfTheLifetimeOrMore_AreRefused(int lifetimeMs, int skewMs)
    {
        var options = new LocalRateLimitOptions
        {
            GrantLifetime = TimeSpan.FromMilliseconds(lifetimeMs), MaxClockSkew = TimeSpan.FromMilliseconds(skewMs),
        };

        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("MaxClockSkew", StringComparison.Ordinal));
    }

    /// <summary>
    /// Three workers with their own memory over one shard, on a random script of busy spells and pauses; one is killed
    /// half-way with whatever grant it holds. Every admission, fed to one exact bucket at its time, must be allowed by it;
    /// and once the dead worker's grant has expired the bucket fills up to its whole capacity again.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Check_ThreeWorkersOneKilled_NeverAdmitMoreThanOneExactBucket(int seed)
    {
        const int Capacity = 20;
        const double Refill = 10;
        Reshard(capacity: Capacity, refillPerSecond: Refill);
        var workers = Enumerable.Range(0, 3).Select(_ => Limiter(new LocalRateLimitOptions { MaxGrant = 10 })).ToList();
        var random = new Random(seed);
        var exact = new ExactBucket(Capacity, Refill, NowMs);
        var ideal = new ExactBucket(Capacity, Refill, NowMs);
        for (var step = 0; step < 3_000; step++)
        {
            Advance(random.Next(60) == 0 ? random.Next(1_000, 4_000) : random.Next(0, 30));
            var worker = workers[random.Next(step < 1_500 ? 3 : 2)];
            var cost = 1 + random.Next(3);
            ideal.TryAdmit(cost, NowMs);
            var decision = await worker.CheckAsync("k", cost, _shard.GrantAsync);
            if (decision.Reply!.Allowed)
            {
                exact.Admit(cost, NowMs);
            }
        }

        Advance(5_000 + (long)(1_000 * Capacity / Refill));
        var burst = 0;
        while ((await _shard.CheckAsync("k")).Allowed)
        {
            burst++;
        }

        // Under-admission: against one exact bucket that saw the same checks, tokens idle in grants and the dead worker's.
        Assert.InRange(exact.Admitted, 0.9 * ideal.Admitted, ideal.Admitted + Capacity);
        Assert.Equal(Capacity, burst);
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private Task<RateLimitDecision> Check(LocalRateLimiter limiter, int cost = 1) => limiter.CheckAsync("k", cost, _shard.GrantAsync);

    private LocalRateLimiter Limiter(LocalRateLimitOptions options) => new(_time, _shard.Options, Options.Create(options));

    private void Advance(long ms) => _time.Advance(TimeSpan.FromMilliseconds(ms));

    private void Reshard(int capacity, double refillPerSecond, int shards = 1)
    {
        Assert.Equal(1, shards);
        _shard.Dispose();
        _shard = new InMemoryShard(_time, capacity, refillPerSecond);
    }

    /// <summary>One exact token bucket, fed the admissions: it fails the test on any admission it would not allow.</summary>
    private sealed class ExactBucket(int capacity, double refillPerSecond, long nowMs)
    {
        private double _tokens = capacity;
        private long _at = nowMs;

        public double Admitted { get; private set; }

        public void Admit(int cost, long nowMs)
        {
            _tokens = Math.Min(capacity, _tokens + ((nowMs - _at) * refillPerSecond / 1000d));
            _at = nowMs;
            Assert.True(_tokens + 1e-9 >= cost, $"admitted {cost} at {nowMs} when one exact bucket had {_tokens:0.###}");
            _tokens -= cost;
            Admitted += cost;
        }

        public void TryAdmit(int cost, long nowMs)
        {
            _tokens = Math.Min(capacity, _tokens + ((nowMs - _at) * refillPerSecond / 1000d));
            _at = nowMs;
            if (_tokens + 1e-9 >= cost)
            {
                _tokens -= cost;
                Admitted += cost;
            }
        }
    }
}
