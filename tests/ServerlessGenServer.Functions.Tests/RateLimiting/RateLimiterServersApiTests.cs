using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.RateLimiting;

/// <summary>The limiter through the generic servers API: check is a call on a shard; refill is not offered.</summary>
public sealed class RateLimiterServersApiTests
{
    private readonly Clients _clients = new();
    private readonly ServersApi _api = new(GenServerRegistry.Default,
        new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance), NullLogger<ServersApi>.Instance);

    [Fact]
    public async Task Call_Check_SendsTheValidatedRequestToTheShard()
    {
        var request = HttpTest.Request(body: """{"key":"user-42","cost":2}""");
        CallRequest? scheduled = null;
        _clients.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                new TaskName(nameof(CallOrchestrator)), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback<TaskName, object?, StartOrchestrationOptions?, CancellationToken>((_, input, _, _) => scheduled = ((CallBatch)input!).Calls.Single())
            .ReturnsAsync("id");
        _clients.Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), true, It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => new OrchestrationMetadata(nameof(CallOrchestrator), id)
            {
                RuntimeStatus = OrchestrationRuntimeStatus.Completed,
                SerializedOutput = """[{"ok":true,"reply":{"allowed":true,"remaining":8,"limit":10,"retryAfterMs":0,"resetMs":1000}}]""",
                DataConverter = new JsonDataConverter(GenServerJson.Options),
            });

        var answer = await _api.Call(request, _clients.Client.Object, "ratelimiter", "14", "check").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(8, answer.Json.GetProperty("result").GetProperty("remaining").GetInt32());
        Assert.Equal(("ratelimiter", "14", "Check"), (scheduled!.Server, scheduled.Key, scheduled.Operation));
        Assert.Equal("""{"key":"user-42","cost":2}""", scheduled.Input!.Value.GetRawText());
    }

    [Theory]
    [InlineData("""{"key":"","cost":1}""")]
    [InlineData("""{"key":"user-42","cost":0}""")]
    [InlineData("""{"key":"user-42","cost":1.5}""")]
    [InlineData("""{"key":"user-42","cots":1}""")]
    [InlineData("""{"cost":1}""")]
    [InlineData("")]
    public async Task Call_CheckWithBadBody_Returns400WithoutTouchingTheClient(string body)
    {
        var request = HttpTest.Request(body: body);

        var answer = await _api.Call(request, _clients.Client.Object, "ratelimiter", "14", "check").AnswerAsync(request);

        answer.Problem(400);
    }

    [Theory]
    [InlineData("call")]
    [InlineData("cast")]
    public async Task Refill_IsNotOfferedToClients(string kind)
    {
        var request = HttpTest.Request(body: "0");

        var answer = kind == "call"
            ? await _api.Call(request, _clients.Client.Object, "ratelimiter", "0", "refill").AnswerAsync(request)
            : await _api.Cast(request, _clients.Client.Object, "ratelimiter", "0", "refill").AnswerAsync(request);

        Assert.Contains("check (call)", answer.Problem(404).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
