using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.RateLimiting;

public sealed class RateLimitApiTests
{
    private readonly Clients _clients = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Check_Allowed_Returns200WithTheReplyAndHeaders()
    {
        var request = HttpTest.Request();
        var (scheduled, _) = _clients.ExpectCall(Replied(new CheckReply(true, 3, 10, RetryAfterMs: 0, ResetMs: 3_500)));

        var answer = await Api().Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal("""{"allowed":true,"remaining":3,"limit":10,"retryAfterMs":0,"resetMs":3500}""", answer.Body);
        Assert.Equal("\"default\";q=10;w=5", answer.Headers["RateLimit-Policy"]);
        Assert.Equal("\"default\";r=3;t=4", answer.Headers["RateLimit"]);
        Assert.Equal(("10", "3", "4"), (answer.Headers["X-RateLimit-Limit"].ToString(), answer.Headers["X-RateLimit-Remaining"].ToString(),
            answer.Headers["X-RateLimit-Reset"].ToString()));
        Assert.Equal("no-store", answer.Headers.CacheControl);
        Assert.False(answer.Headers.ContainsKey("Retry-After"));

        // user-42 is on shard 14 of 16; the entity gets the key and the cost, validated.
        var call = scheduled();
        Assert.Equal(("ratelimiter", "14", "Check"), (call.Server, call.Key, call.Operation));
        Assert.Equal("""{"key":"user-42","cost":1}""", call.Input!.Value.GetRawText());
    }

    [Fact]
    public async Task Check_Denied_Returns429WithRetryAfterRoundedUp()
    {
        var request = HttpTest.Request(query: "?cost=2");
        var (scheduled, _) = _clients.ExpectCall(Replied(new CheckReply(false, 1, 10, RetryAfterMs: 1_001, ResetMs: 4_500)));

        var answer = await Api().Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        var problem = answer.Problem(429);
        Assert.Equal("urn:serverless-genserver:problem:rate-limited", problem.GetProperty("type").GetString());
        Assert.Equal(["default"], problem.GetProperty("violated-policies").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal((false, 1, 1_001L), (problem.GetProperty("allowed").GetBoolean(), problem.GetProperty("remaining").GetInt32(),
            problem.GetProperty("retryAfterMs").GetInt64()));
        Assert.Equal("1 of 10 tokens left for this key; retry in 1001 ms.", problem.GetProperty("detail").GetString());
        Assert.Equal("2", answer.Headers.RetryAfter);
        // The effective window ends with Retry-After on a 429 (the draft: Retry-After not earlier than its end).
        Assert.Equal("\"default\";r=1;t=2", answer.Headers["RateLimit"]);
        Assert.Equal("5", answer.Headers["X-RateLimit-Reset"]);
        Assert.Equal("1", answer.Headers["X-RateLimit-Remaining"]);
        Assert.Equal(2, scheduled().Input!.Value.GetProperty("cost").GetInt32());
    }

    [Fact]
    public async Task Check_DeniedWithoutRefill_Returns429WithoutTimes()
    {
        var request = HttpTest.Request();
        _clients.ExpectCall(Replied(new CheckReply(false, 0, 10, RetryAfterMs: null, ResetMs: null)));

        var answer = await Api(refillPerSecond: 0).Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Contains("does not refill", answer.Problem(429).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("\"default\";q=10", answer.Headers["RateLimit-Policy"]);
        Assert.Equal("\"default\";r=0", answer.Headers["RateLimit"]);
        Assert.False(answer.Headers.ContainsKey("Retry-After"));
        Assert.False(answer.Headers.ContainsKey("X-RateLimit-Reset"));
    }

    [Theory]
    [InlineData(2d, 10, 5)]
    [InlineData(3d, 10, 4)]
    [InlineData(0.5, 10, 20)]
    [InlineData(1000d, 10, 1)]
    public async Task Check_Policy_WindowIsTheTimeToRefillFromEmptyRoundedUp(double refillPerSecond, int capacity, int window)
    {
        var request = HttpTest.Request();
        _clients.ExpectCall(Replied(new CheckReply(true, 9, capacity, 0, 500)));

        var answer = await Api(capacity, refillPerSecond).Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Equal($"\"default\";q={capacity};w={window}", answer.Headers["RateLimit-Policy"]);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("11")]
    [InlineData("1.5")]
    [InlineData("x")]
    [InlineData("99999999999")]
    [InlineData("+1")]
    public async Task Check_BadCost_Returns400WithoutTouchingTheClient(string cost)
    {
        var request = HttpTest.Request(query: $"?cost={Uri.EscapeDataString(cost)}");

        var answer = await Api().Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Contains("cost must be an integer from 1 to the capacity, 10", answer.Problem(400).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CostAtCapacity_IsSent()
    {
        var request = HttpTest.Request(query: "?cost=10");
        var (scheduled, _) = _clients.ExpectCall(Replied(new CheckReply(true, 0, 10, 0, 5_000)));

        var answer = await Api().Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(10, scheduled().Input!.Value.GetProperty("cost").GetInt32());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a\u0001b", "control character")]
    [InlineData("line\nbreak", "control character")]
    public async Task Check_BadKey_Returns400WithoutTouchingTheClient(string key, string expected)
    {
        var request = HttpTest.Request();

        var answer = await Api().Check(request, _clients.Client.Object, key).AnswerAsync(request);

        Assert.Contains(expected, answer.Problem(400).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_KeyTooLongOrLoneSurrogate_Returns400()
    {
        foreach (var key in new[] { new string('k', 257), "a" + '\uD800' })
        {
            var request = HttpTest.Request();

            var answer = await Api().Check(request, _clients.Client.Object, key).AnswerAsync(request);

            answer.Problem(400);
        }
    }

    [Fact]
    public async Task Check_KeyWithAnyPrintableCharacters_IsHashedToItsShard()
    {
        var request = HttpTest.Request();
        var (scheduled, _) = _clients.ExpectCall(Replied(new CheckReply(true, 9, 10, 0, 500)));

        await Api().Check(request, _clients.Client.Object, "api-key/7f3a").AnswerAsync(request);

        Assert.Equal("2", scheduled().Key);
    }

    [Fact]
    public async Task Check_EntityRejected_Returns422()
    {
        var request = HttpTest.Request();
        _clients.ExpectCall(Clients.Completed(CallOutcome.Failed("System.ComponentModel.DataAnnotations.ValidationException", "The cost 10 is above the capacity 5.")));

        var answer = await Api().Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Equal("The cost 10 is above the capacity 5.", answer.Problem(422).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Check_NoReplyBeforeTimeout_Returns202WithLocation()
    {
        var request = HttpTest.Request(query: "?timeoutMs=100");
        var (_, instanceId) = _clients.ExpectCall(new OrchestrationMetadata(nameof(CallOrchestrator), "x") { RuntimeStatus = OrchestrationRuntimeStatus.Running });

        var check = Api().Check(request, _clients.Client.Object, "user-42");
        while (!check.IsCompleted)
        {
            // The poll delays wait on the fake clock: move it on until the call gives up.
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        var answer = await check.AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal($"/api/calls/{instanceId()}", answer.Headers.Location.ToString());
        Assert.False(answer.Headers.ContainsKey("RateLimit"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("60001")]
    public async Task Check_TimeoutOutOfRange_Returns400(string timeout)
    {
        var request = HttpTest.Request(query: $"?timeoutMs={timeout}");

        var answer = await Api().Check(request, _clients.Client.Object, "user-42").AnswerAsync(request);

        Assert.Contains("timeoutMs", answer.Problem(400).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private RateLimitApi Api(int capacity = 10, double refillPerSecond = 2) => new(
        new GenServerClient(_time, NullLogger<GenServerClient>.Instance),
        Options.Create(new RateLimiterOptions { Capacity = capacity, RefillPerSecond = refillPerSecond, Shards = 16 }));

    private static OrchestrationMetadata Replied(CheckReply reply) =>
        Clients.Completed(CallOutcome.Replied(JsonSerializer.SerializeToElement(reply, GenServerJson.Options)));
}
