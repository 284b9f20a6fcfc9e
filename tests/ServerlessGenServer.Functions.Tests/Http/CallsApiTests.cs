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
    private const string CallId = "call-0123456789abcdef0123456789abcdef";
    private readonly Clients _clients = new();
    private readonly CallsApi _api = new(new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance));

    [Fact]
    public async Task Get_Running_Returns202WithRetryAfter()
    {
        var request = HttpTest.Request("GET");
        Instance(new OrchestrationMetadata(nameof(CallOrchestrator), CallId) { RuntimeStatus = OrchestrationRuntimeStatus.Running });

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal("1", answer.Headers.RetryAfter.ToString());
        Assert.Equal("pending", answer.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Get_Completed_Returns200AndPurges()
    {
        var request = HttpTest.Request("GET");
        Instance(new OrchestrationMetadata(nameof(CallOrchestrator), CallId)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Completed,
            SerializedOutput = JsonSerializer.Serialize(CallOutcome.Replied(JsonSerializer.SerializeToElement("done")), GenServerJson.Options),
            DataConverter = new JsonDataConverter(GenServerJson.Options),
        });
        _clients.Client.Setup(c => c.PurgeInstanceAsync(CallId, null, It.IsAny<CancellationToken>())).ReturnsAsync(new PurgeResult(1)).Verifiable();

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal("done", answer.Json.GetProperty("result").GetString());
        _clients.Client.Verify();
    }

    [Fact]
    public async Task Get_OrchestrationFailed_Returns500AndPurges()
    {
        var request = HttpTest.Request("GET");
        Instance(new OrchestrationMetadata(nameof(CallOrchestrator), CallId)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Failed,
            FailureDetails = new TaskFailureDetails("System.Exception", "boom", null, null, null),
        });
        _clients.Client.Setup(c => c.PurgeInstanceAsync(CallId, null, It.IsAny<CancellationToken>())).ReturnsAsync(new PurgeResult(1)).Verifiable();

        var answer = await _api.Get(request, _clients.Client.Object, CallId).AnswerAsync(request);

        // A broken orchestration is a fault, not the client's: nothing of it is shown.
        answer.Problem(500);
        Assert.DoesNotContain("boom", answer.Body, StringComparison.Ordinal);
        _clients.Client.Verify();
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
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("call-0123456789abcdef0123456789abcdeg")]
    [InlineData("@counter@c1")]
    public async Task Get_NotACallId_Returns400(string id)
    {
        var request = HttpTest.Request("GET");

        var answer = await _api.Get(request, _clients.Client.Object, id).AnswerAsync(request);

        answer.Problem(400);
    }

    private void Instance(OrchestrationMetadata? metadata) =>
        _clients.Client.Setup(c => c.GetInstanceAsync(CallId, true, It.IsAny<CancellationToken>())).ReturnsAsync(metadata);
}
