using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Moq;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// The Idempotency-Key header as an RFC 8941 Item: a String or a bare token mean the same key, parameters are ignored,
/// and anything else is a 400 that queues nothing.
/// </summary>
public sealed class HostileIdempotencyKeyTests
{
    private readonly Hostile _hostile = new();

    [Theory]
    [InlineData("\"order-42\"", "order-42")]
    [InlineData("order-42", "order-42")]
    [InlineData("  \"order-42\"  ", "order-42")]
    [InlineData("\"order-42\";v=1", "order-42")]
    [InlineData("order-42;a;b=?0;c=\"x;y\"", "order-42")]
    [InlineData("\"a \\\"quoted\\\" key\"", "a \"quoted\" key")]
    [InlineData("\"back\\\\slash\"", "back\\slash")]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("*star:/path", "*star:/path")]
    [InlineData("\"with space\"", "with space")]
    public async Task Cast_HeaderForm_IsTheDocumentedKey(string header, string key)
    {
        var request = Hostile.Request(body: null);
        request.Headers[IdempotencyKeyHeader.Name] = header;
        OnceMessage? sent = null;
        _hostile.Clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "c1"), OnceMessage.OperationName, It.IsAny<object?>(), null, It.IsAny<CancellationToken>()))
            .Callback<EntityInstanceId, string, object?, SignalEntityOptions?, CancellationToken>((_, _, input, _, _) => sent = (OnceMessage)input!)
            .Returns(Task.CompletedTask);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        Assert.Equal(key, sent!.Key);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("\"\"", "empty")]
    [InlineData("\"unclosed", "closing quote")]
    [InlineData("\"bad\\escape\"", "escapes")]
    [InlineData("\"k\u00e9y\"", "not printable ASCII")]
    [InlineData("k\u00e9y", "Unexpected text")]
    [InlineData("\"\u4e2d\"", "not printable ASCII")]
    [InlineData("\"tab\there\"", "not printable ASCII")]
    [InlineData("two words", "Unexpected text")]
    [InlineData("a,b", "Unexpected text")]
    [InlineData("\"a\" \"b\"", "Unexpected text")]
    [InlineData("key;", "Unexpected text")]
    [InlineData("key;UPPER=1", "Unexpected text")]
    [InlineData("(paren)", "quoted string")]
    [InlineData("@at", "quoted string")]
    public async Task Cast_MalformedHeader_Returns400AndQueuesNothing(string header, string reason)
    {
        var request = Hostile.Request(body: null);
        request.Headers[IdempotencyKeyHeader.Name] = header;

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        var detail = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest).GetProperty("detail").GetString();
        Assert.StartsWith("Idempotency-Key: ", detail, StringComparison.Ordinal);
        Assert.Contains(reason, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Call_KeyOver128Characters_Returns400QuotedOrBare(bool quoted)
    {
        var key = new string('k', OnceMessage.MaxKeyLength + 1);
        var request = Hostile.Request(body: null);
        request.Headers[IdempotencyKeyHeader.Name] = quoted ? $"\"{key}\"" : key;

        var answer = await _hostile.Servers.Call(request, _hostile.Clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Contains("longer than 128", _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_TwoHeaders_Returns400()
    {
        var request = Hostile.Request(body: null);
        request.Headers[IdempotencyKeyHeader.Name] = new Microsoft.Extensions.Primitives.StringValues(["\"a\"", "\"a\""]);

        var answer = await _hostile.Servers.Call(request, _hostile.Clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }
}
