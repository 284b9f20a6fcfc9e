using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Http;

public sealed class CallsApiTests
{
    private const string InstanceId = "call-0123456789abcdef0123456789abcdef";
    private const string CallId = InstanceId + "-1";
    private readonly Clients _clients = new();
    private readonly CallsApi _api = new(new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance));

    [Fact]
    public async Task Get_Running_Returns202WithLocationAndRetryAfter()
    {
        var request = HttpTest.Request("GET");
        Instance(new OrchestrationMetadata(nameof(CallOrchestrator), InstanceId) { RuntimeStatus = OrchestrationRuntimeStatus.Running });

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal("1", answer.Headers.RetryAfter.ToString());
        Assert.Equal($"/api/calls/{CallId}", answer.Headers.Location.ToString());
        Assert.Equal("pending", answer.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Get_RunningWithThisCallsReplyInProgress_Returns200()
    {
        var request = HttpTest.Request("GET");
        Instance(new OrchestrationMetadata(nameof(CallOrchestrator), InstanceId)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Running,
            SerializedCustomStatus = Json(null, CallOutcome.Replied(JsonSerializer.SerializeToElement(7))),
        });

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        Assert.Equal(7, answer.Json.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task Get_CompletedReadTwice_Returns200BothTimesAndNeverPurges()
    {
        Instance(Completed(CallOutcome.Replied(JsonSerializer.SerializeToElement("other")), CallOutcome.Replied(JsonSerializer.SerializeToElement("done"))));

        foreach (var _ in new[] { 1, 2 })
        {
            var request = HttpTest.Request("GET");
            var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

            Assert.Equal(200, answer.Status);
            Assert.Equal("done", answer.Json.GetProperty("result").GetString());
        }

        _clients.Client.Verify(c => c.PurgeInstanceAsync(It.IsAny<string>(), It.IsAny<PurgeInstanceOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Get_IndexBeyondTheBatch_Returns404()
    {
        var request = HttpTest.Request("GET");
        Instance(Completed(CallOutcome.Replied(null)));

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        answer.Problem(404);
    }

    [Fact]
    public async Task Get_OrchestrationFailed_Returns500WithoutItsMessage()
    {
        var request = HttpTest.Request("GET");
        Instance(new OrchestrationMetadata(nameof(CallOrchestrator), InstanceId)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Failed,
            FailureDetails = new TaskFailureDetails("System.Exception", "boom", null, null, null),
        });

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        // A broken orchestration is a fault, not the client's: nothing of it is shown.
        answer.Problem(500);
        Assert.DoesNotContain("boom", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Unknown_Returns404()
    {
        var request = HttpTest.Request("GET");
        Instance(null);

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        answer.Problem(404);
    }

    [Theory]
    [InlineData("call-123")]
    [InlineData("0123456789abcdef0123456789abcdef-0")]
    [InlineData(InstanceId)]
    [InlineData(InstanceId + "-")]
    [InlineData(InstanceId + "-01")]
    [InlineData(InstanceId + "-+1")]
    [InlineData("call-0123456789abcdef0123456789abcdeg-0")]
    [InlineData("@counter@c1")]
    public async Task Get_NotACallId_Returns400(string id)
    {
        var request = HttpTest.Request("GET");

        var answer = await _api.Get(request, _clients.Client.Object, id).AnswerAsync(request);

        answer.Problem(400);
    }

    private static string Json(params CallOutcome?[] outcomes) => JsonSerializer.Serialize(outcomes, GenServerJson.Options);

    private static OrchestrationMetadata Completed(params CallOutcome?[] outcomes) => new(nameof(CallOrchestrator), InstanceId)
    {
        RuntimeStatus = OrchestrationRuntimeStatus.Completed,
        SerializedOutput = Json(outcomes),
        DataConverter = new JsonDataConverter(GenServerJson.Options),
    };

    private void Instance(OrchestrationMetadata? metadata) =>
        _clients.Client.Setup(c => c.GetInstanceAsync(InstanceId, true, It.IsAny<CancellationToken>())).ReturnsAsync(metadata);
}
