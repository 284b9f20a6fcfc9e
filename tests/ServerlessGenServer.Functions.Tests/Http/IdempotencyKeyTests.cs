using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Queues;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Http;

/// <summary>The Idempotency-Key header on the servers API and the idempotencyKey field of queue messages, with strict client mocks.</summary>
public sealed class IdempotencyKeyTests
{
    private const long DefaultWindowMs = 30 * 60_000;
    private readonly Clients _clients = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Cast_ValidKey_SignalsTheOnceEnvelopeWithTheValidatedInput()
    {
        var request = WithKey(HttpTest.Request(body: " 5 "), "order-42");
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        var message = sent();
        Assert.Equal(("order-42", "Increment", "5", DefaultWindowMs), (message.Key, message.Operation, message.Input?.GetRawText(), message.WindowMs));
    }

    [Fact]
    public async Task Cast_ValidKeyNoBody_SignalsTheEnvelopeWithoutInput()
    {
        var request = WithKey(HttpTest.Request(), "k");
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Null(sent().Input);
    }

    [Fact]
    public async Task Cast_ObjectInput_CarriesItsJsonInTheEnvelope()
    {
        var request = WithKey(HttpTest.Request(body: """{"key":"a","value":[1,2],"ttlMs":1000}"""), "put-1");
        var sent = ExpectOnceSignal(new EntityInstanceId("cache", "shared"));

        await Api().Cast(request, _clients.Client.Object, "cache", "shared", "put").AnswerAsync(request);

        Assert.Equal("""{"key":"a","value":[1,2],"ttlMs":1000}""", sent().Input!.Value.GetRawText());
    }

    [Fact]
    public async Task Cast_ConfiguredWindow_IsPutInTheEnvelope()
    {
        var request = WithKey(HttpTest.Request(), "k");
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        await Api(windowMinutes: 5).Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal(5 * 60_000, sent().WindowMs);
    }

    [Theory]
    [InlineData("a")]
    [InlineData(" !\"#$%&'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~")]
    public async Task Cast_PrintableAsciiKey_IsAccepted(string key)
    {
        // Sent as an RFC 8941 String: quoted, with " and \ escaped.
        var request = WithKey(HttpTest.Request(), "\"" + key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal(key, sent().Key);
    }

    [Fact]
    public async Task Cast_KeyOf128Characters_IsAccepted()
    {
        var key = new string('k', OnceMessage.MaxKeyLength);
        var request = WithKey(HttpTest.Request(), key);
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal(key, sent().Key);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("k\u00e9y", "not printable ASCII")]
    [InlineData("\u4e2d", "not printable ASCII")]
    [InlineData("a\tb", "not printable ASCII")]
    [InlineData("a\u007fb", "not printable ASCII")]
    public async Task Cast_BadKey_Returns400WithoutSignalling(string key, string reason)
    {
        var request = WithKey(HttpTest.Request(), "\"" + key + "\"");

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        var detail = answer.Problem(400).GetProperty("detail").GetString();
        Assert.StartsWith("Idempotency-Key: ", detail, StringComparison.Ordinal);
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        _clients.Entities.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task Cast_KeyOf129Characters_Returns400()
    {
        var request = WithKey(HttpTest.Request(), new string('k', OnceMessage.MaxKeyLength + 1));

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Contains("longer than 128", answer.Problem(400).GetProperty("detail").GetString(), StringComparison.Ordinal);
        _clients.Entities.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task Cast_TwoKeyHeaders_Returns400()
    {
        var request = HttpTest.Request();
        request.Headers[IdempotencyKeyHeader.Name] = new Microsoft.Extensions.Primitives.StringValues(["a", "b"]);

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Contains("one Idempotency-Key header", answer.Problem(400).GetProperty("detail").GetString(), StringComparison.Ordinal);
        _clients.Entities.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task Cast_UnknownOperationWithKey_Returns404First()
    {
        var request = WithKey(HttpTest.Request(), "");

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", "explode").AnswerAsync(request);

        answer.Problem(404);
    }

    [Theory]
    [InlineData("$once")]
    [InlineData("$ONCE")]
    public async Task Cast_ReservedOperationByName_Returns404(string operation)
    {
        var request = HttpTest.Request(body: """{"key":"k","operation":"increment","windowMs":1000}""");

        var answer = await Api().Cast(request, _clients.Client.Object, "counter", "c1", operation).AnswerAsync(request);

        answer.Problem(404);
        _clients.Entities.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task GenServerClient_FromTheAppServices_UsesTheConfiguredWindow()
    {
        using var services = AppServices("7");
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        await services.GetRequiredService<GenServerClient>()
            .CastAsync(_clients.Client.Object, new EntityInstanceId("counter", "c1"), "Increment", 1L, "k");

        Assert.Equal(7 * 60_000, sent().WindowMs);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1441")]
    public void AddGenServers_WindowOutOfRange_FailsValidation(string minutes)
    {
        using var services = AppServices(minutes);

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<IdempotencyOptions>>().Value);

        Assert.Contains(nameof(IdempotencyOptions.WindowMinutes), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_ValidKey_SchedulesTheCallWithKeyAndWindow()
    {
        var request = WithKey(HttpTest.Request(), "read-1");
        var (scheduled, _) = _clients.ExpectCall(Clients.Completed(CallOutcome.Replied(JsonSerializer.SerializeToElement(7))));

        var answer = await Api().Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(7, answer.Json.GetProperty("result").GetInt32());
        Assert.Equal(new CallRequest("counter", "c1", "Value", null, "read-1", DefaultWindowMs), scheduled());
    }

    [Fact]
    public async Task Call_NoKey_SchedulesAPlainCall()
    {
        var request = HttpTest.Request(body: "2");
        var (scheduled, _) = _clients.ExpectCall(Clients.Completed(CallOutcome.Replied(null)));

        await Api().Call(request, _clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal((null, null), (scheduled().IdempotencyKey, scheduled().IdempotencyWindowMs));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\u00fc")]
    public async Task Call_BadKey_Returns400WithoutScheduling(string key)
    {
        var request = WithKey(HttpTest.Request(), key);

        var answer = await Api().Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        answer.Problem(400);
        _clients.Client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Call_RepeatWhoseReplyWasNotKept_Returns410()
    {
        var request = WithKey(HttpTest.Request(), "big");
        _clients.ExpectCall(Clients.Completed(CallOutcome.Failed(typeof(AlreadyAppliedException).FullName!, "'Get' was applied already with this idempotency key.")));

        var answer = await Api().Call(request, _clients.Client.Object, "cache", "c1", "stats").AnswerAsync(request);

        var problem = answer.Problem(410);
        Assert.EndsWith(":already-applied", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("applied already", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_KeyReusedForAnotherRequest_Returns422NamingTheKeyProblem()
    {
        var request = WithKey(HttpTest.Request(), "k");
        _clients.ExpectCall(Clients.Completed(CallOutcome.Failed(typeof(IdempotencyKeyReusedException).FullName!, "The idempotency key was used within its window for another operation.")));

        var answer = await Api().Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.EndsWith(":idempotency-key-reused", answer.Problem(422).GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_StateWithLedger_ReturnsTheStateWithoutIt()
    {
        var request = HttpTest.Request("GET");
        var id = new EntityInstanceId("counter", "c1");
        _clients.Entities.Setup(e => e.GetEntityAsync(id, true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new EntityMetadata(id, new SerializedData("""{"value":7,"$once":[{"key":"k","at":1,"exp":2,"fp":"00"}]}""")));

        var answer = await Api().Get(request, _clients.Client.Object, "counter", "c1").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal("""{"value":7}""", answer.Json.GetProperty("state").GetRawText());
    }

    [Fact]
    public async Task Queue_IdempotencyKey_SignalsTheOnceEnvelope()
    {
        var sent = ExpectOnceSignal(new EntityInstanceId("counter", "c1"));

        await Queue().Run("""{"server":"counter","key":"c1","operation":"increment","input":3,"idempotencyKey":"msg-7"}""",
            _clients.Client.Object, CancellationToken.None);

        Assert.Equal(("msg-7", "Increment", "3", DefaultWindowMs), (sent().Key, sent().Operation, sent().Input?.GetRawText(), sent().WindowMs));
    }

    [Fact]
    public async Task Queue_CachePutWithKey_CarriesThePutRequestJson()
    {
        var sent = ExpectOnceSignal(new EntityInstanceId("cache", "shared"));

        await Queue().Run("""{"server":"cache","key":"shared","operation":"put","input":{"key":"k","value":1},"idempotencyKey":"p"}""",
            _clients.Client.Object, CancellationToken.None);

        var put = sent().Input!.Value.Deserialize<PutRequest>(GenServerJson.Options)!;
        Assert.Equal(("k", "1", (long?)null), (put.Key, put.Value!.Value.GetRawText(), put.TtlMs));
    }

    [Theory]
    [InlineData("\"\"", "empty")]
    [InlineData("\"caf\u00e9\"", "not printable ASCII")]
    [InlineData("\"a\\nb\"", "not printable ASCII")]
    [InlineData("7", "not JSON")]
    public async Task Queue_BadIdempotencyKey_ThrowsWithoutSignalling(string keyJson, string reason)
    {
        var message = $$"""{"server":"counter","key":"c1","operation":"increment","idempotencyKey":{{keyJson}}}""";

        var ex = await Assert.ThrowsAsync<ValidationException>(() => Queue().Run(message, _clients.Client.Object, CancellationToken.None));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        _clients.Entities.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task Queue_KeyOf129Characters_ThrowsWithoutSignalling()
    {
        var message = $$"""{"server":"counter","key":"c1","operation":"increment","idempotencyKey":"{{new string('k', 129)}}"}""";

        var ex = await Assert.ThrowsAsync<ValidationException>(() => Queue().Run(message, _clients.Client.Object, CancellationToken.None));

        Assert.StartsWith("idempotencyKey: ", ex.Message, StringComparison.Ordinal);
        _clients.Entities.VerifyNoOtherCalls();
    }

    // What Program.cs registers for the client, with the setting as local.settings.json would give it.
    private static ServiceProvider AppServices(string windowMinutes) => new ServiceCollection()
        .AddLogging()
        .AddGenServers(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Idempotency:WindowMinutes"] = windowMinutes })
            .Build())
        .AddSingleton<GenServerClient>()
        .BuildServiceProvider();

    private static Microsoft.AspNetCore.Http.HttpRequest WithKey(Microsoft.AspNetCore.Http.HttpRequest request, string key)
    {
        request.Headers[IdempotencyKeyHeader.Name] = key;
        return request;
    }

    private GenServerClient GenServers(int? windowMinutes) => new(_time, NullLogger<GenServerClient>.Instance,
        windowMinutes is { } minutes ? Options.Create(new IdempotencyOptions { WindowMinutes = minutes }) : null);

    private ServersApi Api(int? windowMinutes = null) =>
        new(GenServerRegistry.Default, GenServers(windowMinutes), NullLogger<ServersApi>.Instance);

    private SignalQueueFunction Queue() =>
        new(GenServerRegistry.Default, GenServers(null), NullLogger<SignalQueueFunction>.Instance);

    // A strict setup that only matches the $once operation: a plain signal would fail the test.
    private Func<OnceMessage> ExpectOnceSignal(EntityInstanceId id)
    {
        OnceMessage? sent = null;
        _clients.Entities.Setup(e => e.SignalEntityAsync(id, OnceMessage.OperationName, It.IsAny<object?>(), null, It.IsAny<CancellationToken>()))
            .Callback<EntityInstanceId, string, object?, SignalEntityOptions?, CancellationToken>((_, _, input, _, _) => sent = (OnceMessage)input!)
            .Returns(Task.CompletedTask);
        return () => sent ?? throw new InvalidOperationException("Nothing was signalled.");
    }
}
