using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.RateLimiting;

/// <summary>
/// The limiter is not offered through the generic servers API: a shard is reached only through /api/ratelimit/{key},
/// so no client names a shard, drains another key's bucket through it, or learns that shards exist.
/// </summary>
public sealed class RateLimiterServersApiTests
{
    private readonly Clients _clients = new();
    private readonly ServersApi _api = new(GenServerRegistry.Default,
        new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance), NullLogger<ServersApi>.Instance);

    [Theory]
    [InlineData("call", "check", """{"key":"victim","cost":10}""")]
    [InlineData("call", "check", """{"key":"","cost":1}""")]
    [InlineData("call", "check", "")]
    [InlineData("call", "refill", "0")]
    [InlineData("cast", "check", """{"key":"victim","cost":10}""")]
    [InlineData("cast", "refill", "0")]
    [InlineData("call", "nope", "")]
    public async Task ShardOperation_IsNotARoute_Returns404WithoutTouchingTheClient(string kind, string operation, string body)
    {
        var request = HttpTest.Request(body: body);

        var answer = kind == "call"
            ? await _api.Call(request, _clients.Client.Object, "ratelimiter", "14", operation).AnswerAsync(request)
            : await _api.Cast(request, _clients.Client.Object, "ratelimiter", "14", operation).AnswerAsync(request);

        var detail = answer.Problem(404).GetProperty("detail").GetString()!;
        Assert.DoesNotContain("check", detail, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ratelimiter,", detail, StringComparison.Ordinal);
        Assert.Empty(_clients.Entities.Invocations);
        Assert.DoesNotContain(_clients.Client.Invocations, i => i.Method.Name != "get_Entities");
    }

    [Fact]
    public void RateLimiter_OffersNothing_OtherServersOfferTheirCallsAndCasts()
    {
        Assert.True(GenServerRegistry.Default.TryGet("ratelimiter", out var limiter));
        Assert.DoesNotContain(limiter.Operations.All, o => o.IsOffered);
        Assert.True(GenServerRegistry.Default.TryGet("counter", out var counter));
        Assert.Equal(["Increment", "Reset", "Value"], counter.Operations.All.Where(o => o.IsOffered).Select(o => o.Name).Order(StringComparer.Ordinal));
    }
}
