using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Http;

public sealed class ServersApiTests
{
    private readonly Clients _clients = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ServersApi _api;

    public ServersApiTests()
    {
        _api = new ServersApi(GenServerRegistry.Default, new GenServerClient(_time, NullLogger<GenServerClient>.Instance), NullLogger<ServersApi>.Instance);
    }

    [Fact]
    public async Task Call_Replied_Returns200WithResultAndKeepsTheInstanceForReuse()
    {
        var request = HttpTest.Request();
        var (scheduled, instanceId) = _clients.ExpectCall(Clients.Completed(CallOutcome.Replied(JsonSerializer.SerializeToElement(42))));

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(42, answer.Json.GetProperty("result").GetInt32());
        Assert.Equal(new CallRequest("counter", "c1", "Value"), scheduled());
        Assert.StartsWith("call-", instanceId(), StringComparison.Ordinal);
        _clients.Client.Verify(c => c.PurgeInstanceAsync(It.IsAny<string>(), It.IsAny<PurgeInstanceOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Call_WithInput_PassesTheValidatedJson()
    {
        var request = HttpTest.Request(body: " 5 ");
        var (scheduled, _) = _clients.ExpectCall(Clients.Completed(CallOutcome.Replied(null)));

        var answer = await _api.Call(request, _clients.Client.Object, "Counter", "c1", "INCREMENT").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(JsonValueKind.Null, answer.Json.GetProperty("result").ValueKind);
        Assert.Equal("Increment", scheduled().Operation);
        Assert.Equal(5, scheduled().Input!.Value.GetInt64());
    }

    [Fact]
    public async Task Call_OperationRaisedDeclaredError_Returns422WithItsMessage()
    {
        var request = HttpTest.Request();
        var (_, instanceId) = _clients.ExpectCall(Clients.Completed(CallOutcome.Failed(typeof(GenServerException).FullName!, "Adding 1 would overflow the counter.")));

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        var problem = answer.Problem(422);
        Assert.Equal("Adding 1 would overflow the counter.", problem.GetProperty("detail").GetString());
        Assert.False(problem.TryGetProperty("errorType", out _));
        Assert.Equal(instanceId(), problem.GetProperty("instanceId").GetString());
    }

    [Fact]
    public async Task Call_OperationFaulted_Returns500WithoutTheTypeOrMessage()
    {
        var request = HttpTest.Request();
        _clients.ExpectCall(Clients.Completed(CallOutcome.Failed("System.OverflowException", "Arithmetic operation resulted in an overflow.")));

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.EndsWith(":server-fault", answer.Problem(500).GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Overflow", answer.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("System.", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_NoReplyBeforeTimeout_Returns202WithLocationAndKeepsInstance()
    {
        var request = HttpTest.Request(query: "?timeoutMs=250");
        var (_, instanceId) = _clients.ExpectCall(new OrchestrationMetadata(nameof(CallOrchestrator), "x") { RuntimeStatus = OrchestrationRuntimeStatus.Running });

        var call = _api.Call(request, _clients.Client.Object, "counter", "c1", "value");
        while (!call.IsCompleted)
        {
            // The poll delays wait on the fake clock: move it on until the call gives up.
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        var answer = await call.AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal($"/api/calls/{instanceId()}", answer.Headers.Location.ToString());
        Assert.Equal("1", answer.Headers.RetryAfter.ToString());
        Assert.Equal(("pending", instanceId()), (answer.Json.GetProperty("status").GetString(), answer.Json.GetProperty("instanceId").GetString()));
        Assert.Equal($"https://genserver.example/api/calls/{instanceId()}", answer.Json.GetProperty("statusUrl").GetString());
        Assert.Contains("250 ms", answer.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        _clients.Client.Verify(c => c.PurgeInstanceAsync(It.IsAny<string>(), It.IsAny<PurgeInstanceOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("60001")]
    [InlineData("1e3")]
    [InlineData("abc")]
    public async Task Call_TimeoutOutOfRange_Returns400(string timeout)
    {
        var request = HttpTest.Request(query: $"?timeoutMs={timeout}");

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Contains("timeoutMs", answer.Problem(400).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nope", "c1", "value", 404)]
    [InlineData("counter", "c1", "explode", 404)]
    [InlineData("counter", "c1", "gethashcode", 404)]
    [InlineData("counter", "c1", "delete", 404)]
    [InlineData("counter", "a@b", "value", 400)]
    [InlineData("counter", "", "value", 400)]
    public async Task Call_BadTarget_ReturnsProblemWithoutTouchingTheClient(string server, string key, string operation, int status)
    {
        var request = HttpTest.Request();

        var answer = await _api.Call(request, _clients.Client.Object, server, key, operation).AnswerAsync(request);

        answer.Problem(status);
    }

    [Theory]
    [InlineData("{", "application/json", 400)]
    [InlineData("\"five\"", "application/json", 400)]
    [InlineData("0", "application/json", 400)]
    [InlineData("5", "text/plain", 415)]
    [InlineData("5", null, 415)]
    [InlineData("5", "application/merge-patch+json", 200)]
    public async Task Cast_Body_IsCheckedBeforeSignalling(string body, string? contentType, int status)
    {
        var request = HttpTest.Request(body: body, contentType: contentType);
        _clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "c1"), "Increment", 5L, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask);

        var answer = await _api.Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        if (status == 200)
        {
            Assert.Equal(202, answer.Status);
            Assert.Equal(32, answer.Json.GetProperty("requestId").GetString()!.Length);
        }
        else
        {
            answer.Problem(status);
            _clients.Entities.VerifyNoOtherCalls();
        }
    }

    [Fact]
    public async Task Cast_NoBody_SignalsWithoutInput()
    {
        var request = HttpTest.Request();
        _clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "k"), "Increment", null, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask).Verifiable();

        var answer = await _api.Cast(request, _clients.Client.Object, "counter", "k", "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        _clients.Entities.Verify();
    }

    [Fact]
    public async Task Cast_CallOperation_Returns404PointingToCall()
    {
        var request = HttpTest.Request();

        var answer = await _api.Cast(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Contains("/call/value", answer.Problem(404).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(64 * 1024, 202)]
    [InlineData(64 * 1024 + 1, 413)]
    public async Task Cast_BodySize_IsLimitedTo64KiB(int size, int status)
    {
        // A JSON number padded with spaces to the exact size.
        var request = HttpTest.Request(body: "5".PadRight(size));
        _clients.Entities.Setup(e => e.SignalEntityAsync(It.IsAny<EntityInstanceId>(), "Increment", 5L, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask);

        var answer = await _api.Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        if (status == 413)
        {
            answer.Problem(413);
        }
        else
        {
            Assert.Equal(status, answer.Status);
        }
    }

    [Fact]
    public async Task Cast_ChunkedBodyOverLimit_Returns413()
    {
        var request = HttpTest.Request(body: "5".PadRight(200_000));
        request.ContentLength = null;

        var answer = await _api.Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        answer.Problem(413);
    }

    [Fact]
    public async Task Get_Existing_Returns200WithState()
    {
        var request = HttpTest.Request("GET");
        var modified = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
        _clients.Entities.Setup(e => e.GetEntityAsync(new EntityInstanceId("counter", "c1"), true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new EntityMetadata(new EntityInstanceId("counter", "c1"), new SerializedData("""{"value":7}""")) { LastModifiedTime = modified });

        var answer = await _api.Get(request, _clients.Client.Object, "counter", "c1").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(7, answer.Json.GetProperty("state").GetProperty("value").GetInt32());
        Assert.Equal("c1", answer.Json.GetProperty("key").GetString());
        Assert.Equal(modified, answer.Json.GetProperty("lastModifiedTime").GetDateTimeOffset());
    }

    [Fact]
    public async Task Get_Missing_Returns404()
    {
        var request = HttpTest.Request("GET");
        _clients.Entities.Setup(e => e.GetEntityAsync(new EntityInstanceId("counter", "c1"), true, It.IsAny<CancellationToken>()))
            .ReturnsAsync((EntityMetadata?)null);

        var answer = await _api.Get(request, _clients.Client.Object, "counter", "c1").AnswerAsync(request);

        answer.Problem(404);
    }

    [Fact]
    public async Task Delete_Existing_SignalsDeleteAndReturns202()
    {
        var request = HttpTest.Request("DELETE");
        _clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "c1"), "delete", null, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask).Verifiable();

        var answer = await _api.Delete(request, _clients.Client.Object, "counter", "c1").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        _clients.Entities.Verify();
    }

    [Fact]
    public async Task List_Page_ReturnsKeysAndContinuation()
    {
        var request = HttpTest.Request("GET", query: "?prefix=user-&top=2&continuation=abc");
        EntityQuery? seen = null;
        _clients.Entities.Setup(e => e.GetAllEntitiesAsync(It.IsAny<EntityQuery>()))
            .Callback<EntityQuery?>(q => seen = q)
            .Returns(Pageable.Create<EntityMetadata>((token, size, _) => Task.FromResult(new Page<EntityMetadata>(
                [new(new EntityInstanceId("counter", "user-1")), new(new EntityInstanceId("counter", "user-2"))], token == "abc" ? "next" : null))));

        var answer = await _api.List(request, _clients.Client.Object, "counter").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(["user-1", "user-2"], answer.Json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()));
        Assert.Equal("next", answer.Json.GetProperty("continuation").GetString());
        Assert.Equal(("@counter@user-", false, 2), (seen!.InstanceIdStartsWith, seen.IncludeState, seen.PageSize));
    }

    [Theory]
    [InlineData("?top=0")]
    [InlineData("?top=1001")]
    [InlineData("?top=x")]
    [InlineData("?prefix=a/b")]
    public async Task List_BadQuery_Returns400(string query)
    {
        var request = HttpTest.Request("GET", query: query);

        var answer = await _api.List(request, _clients.Client.Object, "counter").AnswerAsync(request);

        answer.Problem(400);
    }

    [Fact]
    public async Task List_UnknownServer_Returns404NamingTheServers()
    {
        var request = HttpTest.Request("GET");

        var answer = await _api.List(request, _clients.Client.Object, "nope").AnswerAsync(request);

        Assert.Contains("counter", answer.Problem(404).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
