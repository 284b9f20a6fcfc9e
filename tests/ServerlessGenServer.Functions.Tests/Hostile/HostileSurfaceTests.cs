using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// The two surfaces. A client reaches the calls and casts a server offers and nothing else: with the operator surface
/// off (Azure's default) no state read, list or stop answers anything but 404; operations a server does not offer
/// (the rate limiter's shards, handle_info messages) are 404 and reach no entity; and no client answer carries state.
/// </summary>
public sealed class HostileSurfaceTests
{
    private readonly Hostile _hostile = new();
    private readonly ServersApi _clientOnly = new(GenServerRegistry.Default,
        new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance), NullLogger<ServersApi>.Instance,
        Options.Create(new OperatorApiOptions { Enabled = false }));

    public static TheoryData<string, string> OperatorRoutes()
    {
        var data = new TheoryData<string, string>();
        foreach (var server in new[] { "counter", "ratelimiter", "cache", "ticker", "nope" })
        {
            foreach (var route in new[] { "get", "delete", "list" })
            {
                data.Add(route, server);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OperatorRoutes))]
    public async Task OperatorRoute_SurfaceOff_Returns404AndTouchesNothing(string route, string server)
    {
        var request = Hostile.Request(body: null);
        request.Method = route == "delete" ? "DELETE" : "GET";

        var answer = await (route switch
        {
            "get" => _clientOnly.Get(request, _hostile.Clients.Client.Object, server, "3"),
            "delete" => _clientOnly.Delete(request, _hostile.Clients.Client.Object, server, "3"),
            _ => _clientOnly.List(request, _hostile.Clients.Client.Object, server),
        }).AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status404NotFound);
        Assert.Equal("There is no such route.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("?prefix=user")]
    [InlineData("?top=1000")]
    [InlineData("?continuation=abc")]
    public async Task List_SurfaceOffWithAnyQuery_Returns404(string query)
    {
        var request = Hostile.Request(body: null, query: query);

        var answer = await _clientOnly.List(request, _hostile.Clients.Client.Object, "ratelimiter").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status404NotFound);
    }

    [Theory]
    [InlineData("call", "ratelimiter", "check")]
    [InlineData("call", "ratelimiter", "refill")]
    [InlineData("cast", "ratelimiter", "check")]
    [InlineData("cast", "ratelimiter", "refill")]
    [InlineData("call", "RateLimiter", "Check")]
    [InlineData("call", "ticker", "tick")]
    [InlineData("cast", "cache", "cleanup")]
    [InlineData("call", "cache", "warmUp")]
    [InlineData("call", "counter", "delete")]
    [InlineData("cast", "counter", "$once")]
    public async Task NotOfferedOperation_Returns404(string kind, string server, string operation)
    {
        var request = Hostile.Request("""{"key":"victim","cost":10}""");

        var answer = await (kind == "call"
            ? _hostile.Servers.Call(request, _hostile.Clients.Client.Object, server, "3", operation)
            : _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, server, "3", operation)).AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status404NotFound);
    }

    [Theory]
    [InlineData("call", "value")]
    [InlineData("cast", "increment")]
    [InlineData("cast", "reset")]
    public async Task NotFoundAnswers_NeverNameTheShardsOrTheirOperations(string kind, string operation)
    {
        var request = Hostile.Request(body: null);

        var answer = await (kind == "call"
            ? _hostile.Servers.Call(request, _hostile.Clients.Client.Object, "ratelimiter", "0", operation)
            : _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "ratelimiter", "0", operation)).AnswerAsync(request);

        var detail = _hostile.AssertRefused(answer, StatusCodes.Status404NotFound).GetProperty("detail").GetString()!;
        Assert.DoesNotContain("ratelimiter,", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(", ratelimiter", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("refill", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cast_AnswerCarriesOnlyTheRequestId()
    {
        var request = Hostile.Request(body: null);
        _hostile.Clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "c1"), "Increment", null, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask);

        var answer = await _clientOnly.Cast(request, _hostile.Clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal(["requestId"], answer.Json.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Call_AnswerCarriesOnlyTheReply()
    {
        var request = Hostile.Request(body: null);
        _hostile.Clients.ExpectCall(Clients.Completed(CallOutcome.Replied(JsonSerializer.SerializeToElement(6L))));

        var answer = await _clientOnly.Call(request, _hostile.Clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(["result"], answer.Json.EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("state", answer.Body, StringComparison.OrdinalIgnoreCase);
    }
}
