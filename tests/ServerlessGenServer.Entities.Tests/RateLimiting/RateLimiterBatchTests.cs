using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.RateLimiting;

/// <summary>The limiter through GrpcEntityRunner batches: JSON in, JSON replies, persisted JSON state and signals out.</summary>
public sealed class RateLimiterBatchTests : IDisposable
{
    // "user-42" hashes to shard 14 of 16 (see RateLimitShardsTests).
    private static readonly EntityInstanceId Shard14 = new("ratelimiter", "14");
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    private long NowMs => _services.Time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public async Task Check_BurstInOneBatch_AdmitsCapacityThenDenies()
    {
        var ops = Enumerable.Repeat(CheckOp("user-42"), 12).ToArray();

        var batch = await Run(null, ops);

        Assert.All(batch.Results, r => Assert.True(r.Ok));
        var replies = batch.Results.Select(r => JsonSerializer.Deserialize<CheckReply>(r.Result!, GenServerJson.Options)!).ToList();
        Assert.Equal(10, replies.Count(r => r.Allowed));
        Assert.All(replies.Take(10), r => Assert.True(r.Allowed));
        Assert.Equal("""{"allowed":false,"remaining":0,"limit":10,"retryAfterMs":500,"resetMs":5000}""", batch.Results[10].Result);
        Assert.Equal($$$$"""{"b":{"user-42":{"t":0,"u":{{{{NowMs}}}}}}}""", GenServerEnvelope.ServerState(batch.State)!.ToJsonString());
        var signal = Assert.Single(batch.Signals);
        Assert.Equal(("@ratelimiter@14", GenServerTimer.FiringOperation, (DateTimeOffset?)_services.Time.GetUtcNow().AddMinutes(1)),
            (signal.InstanceId, signal.Name, signal.ScheduledTime));
    }

    [Fact]
    public async Task Check_AcrossBatches_RefillsFromTheElapsedTime()
    {
        var first = await Run(null, CheckOp("user-42", cost: 10));
        _services.Time.Advance(TimeSpan.FromMilliseconds(1_500));

        var second = await Run(first.State, CheckOp("user-42", cost: 3), CheckOp("user-42"));

        Assert.Equal("""{"allowed":true,"remaining":0,"limit":10,"retryAfterMs":0,"resetMs":5000}""", second.Results[0].Result);
        Assert.Equal("""{"allowed":false,"remaining":0,"limit":10,"retryAfterMs":500,"resetMs":5000}""", second.Results[1].Result);
        Assert.Empty(second.Signals);
    }

    [Fact]
    public async Task Check_DefaultCost_IsOne()
    {
        var batch = await Run(null, new Op("check", """{"key":"user-42"}"""));

        Assert.Contains("\"remaining\":9", batch.Results[0].Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CostAboveCapacity_FailsAndTheRestOfTheBatchRuns()
    {
        var batch = await Run(null, CheckOp("user-42", cost: 11), CheckOp("user-42", cost: 10));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal(typeof(System.ComponentModel.DataAnnotations.ValidationException).FullName, batch.Results[0].ErrorType);
        Assert.Contains("above the capacity 10", batch.Results[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("\"allowed\":true", batch.Results[1].Result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"key":"","cost":1}""", "empty")]
    [InlineData("""{"cost":1}""", "empty")]
    [InlineData("""{"key":"user-42","cost":0}""", "Cost")]
    [InlineData("""{"key":"a\u0001b"}""", "control character")]
    [InlineData("null", "requires an input")]
    public async Task Check_BadInput_FailsWithoutState(string input, string expected)
    {
        var batch = await Run(null, new Op("check", input));

        Assert.False(batch.Results[0].Ok);
        Assert.Contains(expected, batch.Results[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task Check_KeyOfAnotherShard_Fails()
    {
        var batch = await EntityBatch.RunAsync(_services.Create<RateLimiter>(), new EntityInstanceId("ratelimiter", "0"), null,
            _services.Provider, CheckOp("user-42"));

        Assert.Contains("belongs to shard 14 of 16", batch.Results[0].ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refill_DuplicatesAndPokesInOneBatch_RunTheTimerOnce()
    {
        var first = await Run(null, CheckOp("user-42"));
        var firing = AsOp(Assert.Single(first.Signals));
        _services.Time.Advance(TimeSpan.FromMinutes(1));

        var batch = await Run(first.State, firing, firing, new Op("refill", "0"), new Op("Refill", "0"));

        Assert.All(batch.Results, r => Assert.True(r.Ok));
        Assert.Empty(batch.Signals); // the only bucket was full again: dropped, and the timer stops with it
        Assert.Equal("""{"$v":1,"state":{"b":{}}}""", batch.State);
    }

    [Fact]
    public async Task Refill_FiringWithBucketsLeft_SchedulesTheNextOneOnly()
    {
        var first = await Run(null, CheckOp("user-42", cost: 10));
        var firing = AsOp(Assert.Single(first.Signals));
        _services.Time.Advance(TimeSpan.FromMinutes(1));
        var busy = await Run(first.State, CheckOp("user-42", cost: 10));

        var batch = await Run(busy.State, firing, firing, new Op("refill", "0"));

        var signal = Assert.Single(batch.Signals);
        Assert.Equal((GenServerTimer.FiringOperation, (DateTimeOffset?)_services.Time.GetUtcNow().AddMinutes(1)), (signal.Name, signal.ScheduledTime));
        Assert.NotEqual(firing.Input, signal.Input);
    }

    [Fact]
    public async Task Refill_PokeOnANewShard_CreatesNoStateAndNoTimer()
    {
        var batch = await Run(null, new Op("refill", "0"));

        Assert.True(batch.Results[0].Ok);
        Assert.Empty(batch.Signals);
        Assert.Null(batch.State);
    }

    [Fact]
    public async Task Refill_NegativeSequence_Fails()
    {
        var batch = await Run(null, new Op("refill", "-1"));

        Assert.False(batch.Results[0].Ok);
    }

    [Fact]
    public void Registry_RateLimiter_OffersCheckAndGrantAsCallsAndRefillOnlyInternally()
    {
        Assert.True(GenServerRegistry.Default.TryGet("ratelimiter", out var limiter));

        Assert.Equal(
            ["Check:Call:False", "Grant:Call:False", "Refill:Cast:True", "ReturnGrant:Cast:False"],
            limiter.Operations.All.Select(o => $"{o.Name}:{o.Kind}:{o.IsInfo}").Order(StringComparer.Ordinal));
    }

    private static Op AsOp(SentSignal signal) => new(signal.Name, signal.Input);

    private static Op CheckOp(string key, int cost = 1) =>
        new("check", JsonSerializer.Serialize(new CheckRequest(key, cost), GenServerJson.Options));

    private Task<BatchResult> Run(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<RateLimiter>(), Shard14, state, _services.Provider, ops);
}
