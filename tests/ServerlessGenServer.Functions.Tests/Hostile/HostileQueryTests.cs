using Microsoft.AspNetCore.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>Hostile query strings: <c>timeoutMs</c>, the rate limiter's <c>cost</c>, list paging, and call ids.</summary>
public sealed class HostileQueryTests
{
    private readonly Hostile _hostile = new();

    public static TheoryData<string> BadTimeouts => new()
    {
        "?timeoutMs=0",
        "?timeoutMs=-5",
        "?timeoutMs=60001",
        "?timeoutMs=2147483648",
        "?timeoutMs=99999999999",
        "?timeoutMs=abc",
        "?timeoutMs=1.5",
        "?timeoutMs=1e3",
        "?timeoutMs=0x10",
        "?timeoutMs=%2B100",
        "?timeoutMs=%20100",
        "?timeoutMs=100%20",
        "?timeoutMs=%D9%A1%D9%A0%D9%A0", // Arabic-Indic digits for 100
        "?timeoutMs=100&timeoutMs=200",
    };

    [Theory]
    [MemberData(nameof(BadTimeouts))]
    public async Task Call_TimeoutOutOfRangeOrNotAnInteger_Returns400(string query)
    {
        var request = Hostile.Request(body: null, query: query);

        var answer = await _hostile.Servers.Call(request, _hostile.Clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Contains("timeoutMs must be an integer from 1 to 60000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadTimeouts))]
    public async Task RateLimitCheck_TimeoutOutOfRangeOrNotAnInteger_Returns400(string query)
    {
        var request = Hostile.Request(body: null, query: query);

        var answer = await _hostile.RateLimit.Check(request, _hostile.Clients.Client.Object, "user-42").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }

    [Theory]
    [InlineData("?cost=0")]
    [InlineData("?cost=-1")]
    [InlineData("?cost=11")]
    [InlineData("?cost=2147483648")]
    [InlineData("?cost=1.5")]
    [InlineData("?cost=1e1")]
    [InlineData("?cost=abc")]
    [InlineData("?cost=%2B1")]
    [InlineData("?cost=1&cost=1")]
    [InlineData("?cost=1&timeoutMs=0")]
    public async Task RateLimitCheck_CostZeroNegativeAboveCapacityOrNotAnInteger_Returns400(string query)
    {
        var request = Hostile.Request(body: null, query: query);

        var answer = await _hostile.RateLimit.Check(request, _hostile.Clients.Client.Object, "user-42").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }

    [Theory]
    [InlineData("?top=0")]
    [InlineData("?top=1001")]
    [InlineData("?top=-1")]
    [InlineData("?top=x")]
    [InlineData("?top=1e2")]
    [InlineData("?prefix=a%2Fb")]
    [InlineData("?prefix=a%00b")]
    [InlineData("?prefix=a%40b")]
    public async Task List_BadTopOrPrefix_Returns400(string query)
    {
        var request = Hostile.Request(body: null, query: query);

        var answer = await _hostile.Servers.List(request, _hostile.Clients.Client.Object, "counter").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("call-")]
    [InlineData("call-xyz")]
    [InlineData("call-3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData("call-{3f2504e04f8911d39a0c0305e82c3301}")]
    [InlineData("../call-3f2504e04f8911d39a0c0305e82c3301")]
    [InlineData("CALL-3f2504e04f8911d39a0c0305e82c3301")]
    [InlineData("@counter@c1")]
    [InlineData("")]
    public async Task CallsGet_NotACallId_Returns400WithoutReadingAnyInstance(string instanceId)
    {
        var request = Hostile.Request(body: null);

        var answer = await _hostile.Calls.Get(request, _hostile.Clients.Client.Object, instanceId).AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }
}
