using System.Globalization;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.RateLimiting;

/// <summary>Token grants on a shard, through its RunAsync with the in-memory fakes and a fake clock.</summary>
public sealed class RateLimiterGrantTests : IDisposable
{
    private const long LifetimeMs = 30_000;
    private readonly FakeEntity _entity = new(new EntityInstanceId("ratelimiter", "0"));
    private TestServices _services = Services(refillPerSecond: 2);
    private int _ids;

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Grant_Allowed_DebitsTheCostAndTheGrantAtOnce()
    {
        var reply = await Grant("k", cost: 1, extra: 5);

        Assert.Equal(new GrantReply(new CheckReply(true, 4, 10, 0, 3_000), 5, 4), reply);
        Assert.Equal(4, await AdmittedOfBurst("k"));
    }

    [Fact]
    public async Task Grant_MoreThanTheBucketHas_GrantsWhatIsLeft()
    {
        await Check("k", cost: 7);

        var reply = await Grant("k", cost: 1, extra: 100);

        Assert.Equal((true, 2, 0), (reply.Check.Allowed, reply.Granted, reply.Check.Remaining));
    }

    [Fact]
    public async Task Grant_Denied_GrantsNothingAndGivesTheExactRetryTime()
    {
        await Check("k", cost: 10);
        Advance(100);

        var reply = await Grant("k", cost: 2, extra: 5);

        Assert.Equal(new GrantReply(new CheckReply(false, 0, 10, 900, 4_900), 0, 0.2), reply);
    }

    [Fact]
    public async Task Check_WhileAGrantIsOut_RefillsOnlyToTheCapacityLessTheGrant()
    {
        await Grant("k", cost: 1, extra: 9);
        Advance(20_000);

        var whileOut = await AdmittedOfBurst("k");
        Advance(LifetimeMs);
        var afterExpiry = await AdmittedOfBurst("k");

        Assert.Equal(1, whileOut);
        Assert.Equal(10, afterExpiry);
    }

    [Fact]
    public async Task Grant_AfterOthersExpired_DropsThemFromTheLedger()
    {
        await Grant("a", cost: 1, extra: 2);
        await Grant("b", cost: 1, extra: 2);
        Advance(LifetimeMs);

        await Grant("c", cost: 1, extra: 2);

        Assert.Equal(["c"], State.Grants!.Keys);
    }

    [Fact]
    public async Task ReturnGrant_UnusedTokens_GoBackIntoTheBucketOnce()
    {
        Configure(refillPerSecond: 0);
        var id = NextId();
        await Grant("k", cost: 1, extra: 9, id: id);

        await Return("k", id, tokens: 6);
        await Return("k", id, tokens: 6);

        Assert.Equal(6, await AdmittedOfBurst("k"));
        Assert.Null(State.Grants);
    }

    [Fact]
    public async Task ReturnGrant_AfterItsLifetime_AddsNothing()
    {
        Configure(refillPerSecond: 0);
        var id = NextId();
        await Grant("k", cost: 1, extra: 9, id: id);
        Advance(LifetimeMs);

        await Return("k", id, tokens: 9);

        Assert.Equal(0, await AdmittedOfBurst("k"));
    }

    [Fact]
    public async Task ReturnGrant_MoreThanWasGranted_ReturnsOnlyTheGrant()
    {
        Configure(refillPerSecond: 0);
        var id = NextId();
        await Grant("k", cost: 1, extra: 3, id: id);

        await Return("k", id, tokens: 50);

        Assert.Equal(9, await AdmittedOfBurst("k"));
    }

    [Fact]
    public async Task Grant_WithTheLastGrantToReturn_ExchangesIt()
    {
        Configure(refillPerSecond: 0);
        var first = NextId();
        await Grant("k", cost: 1, extra: 5, id: first);

        var renewed = await Grant("k", cost: 1, extra: 2, returnId: first, returnTokens: 5);

        Assert.Equal((true, 2, 6), (renewed.Check.Allowed, renewed.Granted, renewed.Check.Remaining));
        Assert.Single(State.Grants!["k"]);
    }

    [Fact]
    public async Task Grant_ManyCallers_KeepsAtMostTheBoundOfGrantsPerKey()
    {
        Configure(capacity: 1_000, refillPerSecond: 0);
        var replies = new List<GrantReply>();
        for (var i = 0; i < RateLimiter.MaxGrantsPerKey + 8; i++)
        {
            replies.Add(await Grant("k", cost: 1, extra: 1));
        }

        Assert.All(replies, r => Assert.True(r.Check.Allowed));
        Assert.Equal(RateLimiter.MaxGrantsPerKey, replies.Count(r => r.Granted == 1));
        Assert.Equal(RateLimiter.MaxGrantsPerKey, State.Grants!["k"].Count);
    }

    /// <summary>
    /// Three workers take, spend, renew, return and lose grants (one of them dies) while checks also go to the shard
    /// directly, on a random script. Every admission, fed to one exact token bucket at its own time, must be one that
    /// bucket allows.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Grants_RandomScriptOfThreeWorkers_NeverAdmitMoreThanOneExactBucket(int seed)
    {
        const int Capacity = 10;
        const double Refill = 2;
        Configure(capacity: Capacity, refillPerSecond: Refill);
        var random = new Random(seed);
        var workers = new (string? Id, int Tokens, long UsableUntil, bool Dead)[3];
        var exact = (double)Capacity;
        var start = NowMs;
        var exactAt = start;
        var admitted = 0;

        void Admit(int cost)
        {
            exact = Math.Min(Capacity, exact + ((NowMs - exactAt) * Refill / 1000d));
            exactAt = NowMs;
            Assert.True(exact + 1e-9 >= cost, $"admitted {cost} when one exact bucket had {exact}");
            exact -= cost;
            admitted += cost;
        }

        for (var step = 0; step < 2_000; step++)
        {
            // Mostly busy, with pauses long enough for the bucket to fill up while grants are out.
            Advance(random.Next(40) == 0 ? random.Next(2_000, 8_000) : random.Next(0, 120));
            var w = random.Next(workers.Length);
            var worker = workers[w];
            if (step == 1_000)
            {
                workers[0].Dead = true; // killed while holding whatever it holds: never returns it
            }

            if (worker.Dead || random.Next(10) == 0)
            {
                var direct = 1 + random.Next(2);
                if ((await Check("k", direct)).Allowed)
                {
                    Admit(direct);
                }

                continue;
            }

            var cost = 1 + random.Next(2);
            if (worker.Id is not null && NowMs < worker.UsableUntil && worker.Tokens >= cost)
            {
                workers[w].Tokens -= cost;
                Admit(cost);
                continue;
            }

            var id = NextId();
            var returning = worker.Id is not null && NowMs < worker.UsableUntil ? worker.Id : null;
            var sentAt = NowMs;
            var reply = await Grant("k", cost, extra: random.Next(0, 8), id: id, returnId: returning, returnTokens: returning is null ? 0 : worker.Tokens);
            workers[w] = (null, 0, 0, false);
            if (reply.Check.Allowed)
            {
                Admit(cost);
                if (reply.Granted > 0)
                {
                    workers[w] = (id, reply.Granted, sentAt + LifetimeMs - 250, false);
                }
            }
        }

        var bound = Capacity + (Refill * (NowMs - start) / 1000d);
        Assert.InRange(admitted, 0.5 * bound, bound);
    }

    private RateLimiterState State => _entity.State.Server<RateLimiterState>()!;

    private long NowMs => _services.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private string NextId() => (++_ids).ToString(CultureInfo.InvariantCulture);

    private void Advance(long ms) => _services.Time.Advance(TimeSpan.FromMilliseconds(ms));

    private async Task<GrantReply> Grant(
        string key, int cost, int extra, string? id = null, string? returnId = null, int returnTokens = 0) =>
        (GrantReply)(await _entity.RunAsync(_services.Create<RateLimiter>(), "grant",
            new GrantRequest(key, cost, extra, id ?? NextId(), LifetimeMs, returnId, returnTokens)))!;

    private async Task Return(string key, string id, int tokens) =>
        await _entity.RunAsync(_services.Create<RateLimiter>(), "returngrant", new GrantReturn(key, id, tokens));

    private async Task<CheckReply> Check(string key, int cost = 1) =>
        (CheckReply)(await _entity.RunAsync(_services.Create<RateLimiter>(), "check", new CheckRequest(key, cost)))!;

    // Checks of cost 1 at one moment until one is denied: how many the bucket admits right now.
    private async Task<int> AdmittedOfBurst(string key)
    {
        var admitted = 0;
        while ((await Check(key)).Allowed)
        {
            admitted++;
        }

        return admitted;
    }

    private void Configure(int capacity = 10, double refillPerSecond = 2)
    {
        var time = _services.Time;
        _services.Dispose();
        _services = Services(capacity, refillPerSecond, time);
    }

    private static TestServices Services(
        int capacity = 10, double refillPerSecond = 2, Microsoft.Extensions.Time.Testing.FakeTimeProvider? time = null) =>
        new(time, new Dictionary<string, string?>
        {
            ["RateLimiter:Capacity"] = capacity.ToString(CultureInfo.InvariantCulture),
            ["RateLimiter:RefillPerSecond"] = refillPerSecond.ToString(CultureInfo.InvariantCulture),
            ["RateLimiter:Shards"] = "1",
        });
}
