using System.ComponentModel.DataAnnotations;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Ticking;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Queues;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Queues;

public sealed class SignalQueueFunctionTests
{
    private readonly Clients _clients = new();
    private readonly Mock<ILogger<SignalQueueFunction>> _logger = new();
    private readonly SignalQueueFunction _function;

    public SignalQueueFunctionTests()
    {
        _logger.Setup(l => l.IsEnabled(It.IsAny<LogLevel>())).Returns(true);
        _function = new SignalQueueFunction(
            GenServerRegistry.Default, new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance), _logger.Object);
    }

    [Fact]
    public async Task Run_ValidMessage_SignalsTheValidatedInput()
    {
        _clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "c1"), "Increment", 5L, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask).Verifiable();

        await _function.Run("""{"server":"Counter","key":"c1","operation":"INCREMENT","input":5}""", _clients.Client.Object, CancellationToken.None);

        _clients.Entities.Verify();
    }

    [Theory]
    [InlineData("""{"server":"counter","key":"c1","operation":"increment"}""")]
    [InlineData("""{"server":"counter","key":"c1","operation":"increment","input":null}""")]
    public async Task Run_NoInput_SignalsWithoutInput(string message)
    {
        _clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", "c1"), "Increment", null, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask).Verifiable();

        await _function.Run(message, _clients.Client.Object, CancellationToken.None);

        _clients.Entities.Verify();
    }

    [Fact]
    public async Task Run_CachePut_SignalsAPutRequest()
    {
        PutRequest? sent = null;
        _clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("cache", "shared"), "Put", It.IsAny<object?>(), null, It.IsAny<CancellationToken>()))
            .Callback<EntityInstanceId, string, object?, SignalEntityOptions?, CancellationToken>((_, _, input, _, _) => sent = (PutRequest)input!)
            .Returns(Task.CompletedTask);

        await _function.Run("""{"server":"cache","key":"shared","operation":"put","input":{"key":"k","value":{"a":[1]},"ttlMs":60000}}""",
            _clients.Client.Object, CancellationToken.None);

        Assert.Equal(("k", """{"a":[1]}""", 60000L), (sent!.Key, sent.Value!.Value.GetRawText(), sent.TtlMs));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("", "not JSON")]
    [InlineData("null", "must have server, key and operation")]
    [InlineData("""{"server":"counter","key":"c1"}""", "must have server, key and operation")]
    [InlineData("""{"server":"counter","key":"c1","operation":"increment","extra":1}""", "extra")]
    [InlineData("""{"server":"nope","key":"c1","operation":"increment"}""", "no GenServer named 'nope'")]
    [InlineData("""{"server":"counter","key":"a/b","operation":"increment"}""", "not allowed")]
    [InlineData("""{"server":"counter","key":"","operation":"increment"}""", "empty")]
    [InlineData("""{"server":"counter","key":"c1","operation":"explode"}""", "no operation 'explode'")]
    [InlineData("""{"server":"counter","key":"c1","operation":"value"}""", "is a call")]
    [InlineData("""{"server":"ticker","key":"t1","operation":"tick","input":{"chain":"x","seq":1}}""", "no operation 'tick'")]
    [InlineData("""{"server":"counter","key":"c1","operation":"increment","input":"five"}""", "integer")]
    [InlineData("""{"server":"counter","key":"c1","operation":"increment","input":0}""", "between")]
    [InlineData("""{"server":"ticker","key":"t1","operation":"start","input":{"intervalMs":10}}""", "IntervalMs")]
    public async Task Run_BadMessage_LogsTheReasonThrowsAndNeverSignals(string message, string reason)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => _function.Run(message, _clients.Client.Object, CancellationToken.None));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        _clients.Entities.VerifyNoOtherCalls();
        _logger.Verify(l => l.Log(
            LogLevel.Warning, It.IsAny<EventId>(),
            It.Is<It.IsAnyType>((state, _) => state.ToString()!.Contains(reason, StringComparison.Ordinal)),
            null, It.IsAny<Func<It.IsAnyType, Exception?, string>>()), Times.Once);
    }

    [Fact]
    public async Task Run_SignalFails_ThrowsForARetry()
    {
        _clients.Entities.Setup(e => e.SignalEntityAsync(It.IsAny<EntityInstanceId>(), "Stop", null, null, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new TimeoutException("storage is away"));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() =>
            _function.Run("""{"server":"ticker","key":"t1","operation":"stop"}""", _clients.Client.Object, CancellationToken.None));

        Assert.Equal("storage is away", ex.Message);
    }

    [Fact]
    public void Registry_TickerAndCache_OfferTheirClientOperationsOnly()
    {
        Assert.True(GenServerRegistry.Default.TryGet("ticker", out var ticker));
        Assert.True(GenServerRegistry.Default.TryGet("cache", out var cache));

        Assert.Equal(typeof(Ticker), ticker.EntityType);
        Assert.Equal(["Start:Cast", "Status:Call", "Stop:Cast"], Client(ticker));
        Assert.Equal(["Delete:Cast", "Get:Call", "Peek:Call", "Put:Cast", "Stats:Call"], Client(cache));
    }

    private static IEnumerable<string> Client(GenServerDescriptor server) =>
        server.Operations.All.Where(o => !o.IsInfo).Select(o => $"{o.Name}:{o.Kind}").Order(StringComparer.Ordinal);
}
