using System.ComponentModel.DataAnnotations;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Azure;
using Grpc.Core;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Http;

/// <summary>
/// The error contract over the real function classes: declared errors keep their 4xx problem, faults are a 500 with a
/// correlation id that is also in the log and nothing else, storage outages are a 503 with Retry-After, and every
/// non-2xx answer is problem+json.
/// </summary>
public sealed class ErrorContractTests
{
    private const string CorrelationId = "invocation-7f3a";
    private readonly Clients _clients = new();
    private readonly RecordingLogger _log = new();
    private readonly ErrorContract _contract;
    private readonly ServersApi _api = new(GenServerRegistry.Default,
        new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance), NullLogger<ServersApi>.Instance);

    public ErrorContractTests() => _contract = new ErrorContract(_log);

    public static TheoryData<string, string> Faults => new()
    {
        { typeof(NullReferenceException).FullName!, "Object reference not set to an instance of an object." },
        { typeof(JsonException).FullName!, "The JSON value could not be converted to System.Int64. Path: $.buckets['user-1']" },
        { typeof(InvalidOperationException).FullName!, "Sequence contains no elements" },
        { typeof(KeyNotFoundException).FullName!, "The given key 'secret-user' was not present in the dictionary." },
        { typeof(OverflowException).FullName!, "Arithmetic operation resulted in an overflow." },
        { "CallFailed", "The call ended as Failed: System.Exception boom" },
        { "Error", "The operation failed." },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Call_OperationFaulted_Answers500WithCorrelationIdInBodyAndLogAndNoInternals(string errorType, string message)
    {
        var request = HttpTest.Request();
        var (_, instanceId) = _clients.ExpectCall(Clients.Completed(CallOutcome.Failed(errorType, message)));

        var answer = await Guarded(_api.Call(request, _clients.Client.Object, "counter", "c1", "value")).AnswerAsync(request);

        var problem = answer.Problem(500);
        Assert.Equal("urn:serverless-genserver:problem:server-fault", problem.GetProperty("type").GetString());
        Assert.Equal(CorrelationId, problem.GetProperty("correlationId").GetString());
        Assert.DoesNotContain(errorType, answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(message, answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", answer.Body, StringComparison.Ordinal);
        var logged = Assert.Single(_log.Entries, e => e.Level == LogLevel.Error);
        Assert.Contains(CorrelationId, logged.Message, StringComparison.Ordinal);
        Assert.Contains(errorType, logged.Message, StringComparison.Ordinal);
        Assert.Contains(instanceId(), logged.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> DeclaredErrors => new()
    {
        typeof(ValidationException).FullName!,
        typeof(GenServerException).FullName!,
        typeof(OutOfStockException).FullName!,
    };

    [Theory]
    [MemberData(nameof(DeclaredErrors))]
    public async Task Call_OperationRaisedDeclaredError_Answers422WithTheServersMessage(string errorType)
    {
        var request = HttpTest.Request();
        _clients.ExpectCall(Clients.Completed(CallOutcome.Failed(errorType, "Only 3 left.")));

        var answer = await Guarded(_api.Call(request, _clients.Client.Object, "counter", "c1", "value")).AnswerAsync(request);

        var problem = answer.Problem(422);
        Assert.Equal("Only 3 left.", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain(errorType, answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(_log.Entries, e => e.Level >= LogLevel.Error);
    }

    [Theory]
    [InlineData(typeof(IdempotencyKeyReusedException), 422)]
    [InlineData(typeof(AlreadyAppliedException), 410)]
    public async Task Call_IdempotencyErrors_AreDeclared(Type errorType, int status)
    {
        var request = HttpTest.Request();
        _clients.ExpectCall(Clients.Completed(CallOutcome.Failed(errorType.FullName!, "About the key.")));

        var answer = await Guarded(_api.Call(request, _clients.Client.Object, "counter", "c1", "value")).AnswerAsync(request);

        Assert.Equal("About the key.", answer.Problem(status).GetProperty("detail").GetString());
    }

    public static TheoryData<string> StorageOutages => new()
    {
        "request-failed-no-response",
        "request-failed-503",
        "rpc-unavailable",
        "rpc-deadline",
        "http-request",
        "socket",
        "timeout",
        "wrapped",
    };

    [Theory]
    [MemberData(nameof(StorageOutages))]
    public async Task Cast_StorageUnreachable_Answers503WithRetryAfter(string kind)
    {
        var request = HttpTest.Request();
        _clients.Entities.Setup(e => e.SignalEntityAsync(
                It.IsAny<Microsoft.DurableTask.Entities.EntityInstanceId>(), "Increment", null, null, It.IsAny<CancellationToken>()))
            .ThrowsAsync(Outage(kind));

        var answer = await Guarded(_api.Cast(request, _clients.Client.Object, "counter", "c1", "increment")).AnswerAsync(request);

        var problem = answer.Problem(503);
        Assert.Equal("urn:serverless-genserver:problem:unavailable", problem.GetProperty("type").GetString());
        Assert.Equal(CorrelationId, problem.GetProperty("correlationId").GetString());
        Assert.Equal($"{Problems.RetryAfterSeconds}", answer.Headers.RetryAfter.ToString());
        Assert.DoesNotContain("10.0.0.1", answer.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("list")]
    [InlineData("call")]
    public async Task OtherRoutes_StorageUnreachable_Answer503(string route)
    {
        var request = HttpTest.Request(route == "call" ? "POST" : "GET");
        var outage = Outage("request-failed-no-response");
        _clients.Entities.Setup(e => e.GetEntityAsync(It.IsAny<Microsoft.DurableTask.Entities.EntityInstanceId>(), true, It.IsAny<CancellationToken>()))
            .ThrowsAsync(outage);
        _clients.Entities.Setup(e => e.GetAllEntitiesAsync(It.IsAny<Microsoft.DurableTask.Client.Entities.EntityQuery>()))
            .Returns(Microsoft.DurableTask.Pageable.Create<Microsoft.DurableTask.Client.Entities.EntityMetadata>((_, _, _) => throw outage));
        _clients.Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                It.IsAny<Microsoft.DurableTask.TaskName>(), It.IsAny<object?>(), It.IsAny<Microsoft.DurableTask.StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(outage);

        var action = route switch
        {
            "get" => _api.Get(request, _clients.Client.Object, "counter", "c1"),
            "list" => _api.List(request, _clients.Client.Object, "counter"),
            _ => _api.Call(request, _clients.Client.Object, "counter", "c1", "value"),
        };
        var answer = await Guarded(action).AnswerAsync(request);

        answer.Problem(503);
    }

    [Fact]
    public async Task Function_ThrowsNullReference_Answers500AndLogsTheException()
    {
        var request = HttpTest.Request();

#pragma warning disable CA2201 // The fault being injected is exactly the runtime's NullReferenceException.
        var answer = await Guarded(Task.FromException<IActionResult>(new NullReferenceException("at Secret.Method()"))).AnswerAsync(request);
#pragma warning restore CA2201

        Assert.Equal(CorrelationId, answer.Problem(500).GetProperty("correlationId").GetString());
        Assert.DoesNotContain("Secret", answer.Body, StringComparison.Ordinal);
        var logged = Assert.Single(_log.Entries);
        Assert.IsType<NullReferenceException>(logged.Exception);
        Assert.Contains(CorrelationId, logged.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(500)]
    [InlineData(502)]
    public void BareStatusCode_BecomesProblemJsonOfTheSameStatus(int status)
    {
        var answer = Assert.IsType<ApiResult>(_contract.Apply(new StatusCodeResult(status), null, CorrelationId));

        Assert.Equal(status, answer.Status);
        Assert.Equal(Problems.ContentType, answer.ContentType);
        var problem = Assert.IsType<Problem>(answer.Body);
        Assert.Equal(status, problem.Status);
        Assert.Equal(status >= 500, problem.Extensions.ContainsKey(ErrorContract.CorrelationIdMember));
    }

    [Fact]
    public void JsonErrorThatIsNotAProblem_BecomesProblemJson()
    {
        var answer = Assert.IsType<ApiResult>(_contract.Apply(new ApiResult(400, new { error = "x" }), null, CorrelationId));

        Assert.Equal((400, Problems.ContentType), (answer.Status, answer.ContentType));
        Assert.IsType<Problem>(answer.Body);
    }

    [Fact]
    public void NoResultAndNoException_IsAFault()
    {
        var answer = Assert.IsType<ApiResult>(_contract.Apply(null, null, CorrelationId));

        Assert.Equal(500, answer.Status);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    [InlineData(204)]
    public void SuccessfulAnswer_PassesUnchanged(int status)
    {
        var result = new ApiResult(status, new { ok = true });

        Assert.Same(result, _contract.Apply(result, null, CorrelationId));
    }

    [Fact]
    public void DeclaredProblem_PassesWithoutACorrelationId()
    {
        var result = Problems.BadInput("cost must be an integer.");

        var answer = Assert.IsType<ApiResult>(_contract.Apply(result, null, CorrelationId));

        Assert.Same(result, answer);
        Assert.Empty(_log.Entries);
    }

    private async Task<IActionResult> Guarded(Task<IActionResult> action)
    {
        try
        {
            return _contract.Apply(await action, null, CorrelationId);
        }
#pragma warning disable CA1031 // As the middleware does.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return _contract.Apply(null, ex, CorrelationId);
        }
    }

    private static Exception Outage(string kind) => kind switch
    {
        "request-failed-no-response" => new RequestFailedException(0, "Connection refused (10.0.0.1:10002)", new HttpRequestException("refused")),
        "request-failed-503" => new RequestFailedException(503, "Server busy"),
        "rpc-unavailable" => new RpcException(new Status(StatusCode.Unavailable, "no connection to 10.0.0.1")),
        "rpc-deadline" => new RpcException(new Status(StatusCode.DeadlineExceeded, "deadline")),
        "http-request" => new HttpRequestException("Connection refused"),
        "socket" => new SocketException((int)SocketError.ConnectionRefused),
        "timeout" => new TimeoutException("The operation has timed out."),
        _ => new InvalidOperationException("The provider failed.", new AggregateException(new SocketException((int)SocketError.HostUnreachable))),
    };

    /// <summary>A server's own declared error type, as an app would add one.</summary>
    public sealed class OutOfStockException(string message) : GenServerException(message);

    internal sealed class RecordingLogger : ILogger<ErrorContract>
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            Entries.Add((logLevel, formatter(state, exception), exception));
        }
    }
}
