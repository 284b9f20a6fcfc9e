using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Http;

/// <summary>
/// POST .../call/{op} of a [ReadOnly] operation, with the client built as the app builds it (with its services): one
/// state read and no orchestration. The strict client mock has no orchestration set up, so scheduling one would throw.
/// </summary>
public sealed class ReadOnlyCallTests : IDisposable
{
    private static readonly EntityInstanceId Counter = new("counter", "c1");
    private readonly Clients _clients = new();
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddLogging()
        .AddGenServers(new ConfigurationBuilder().Build())
        .BuildServiceProvider();

    private readonly ServersApi _api;

    public ReadOnlyCallTests()
    {
        var client = new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance, services: _services);
        _api = new ServersApi(GenServerRegistry.Default, client, NullLogger<ServersApi>.Instance);
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Call_ReadOnly_AnswersFromTheSavedStateWithoutAnOrchestration()
    {
        var request = HttpTest.Request();
        Saved(GenServerEnvelope.Persisted(new { value = 7 }));

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(7, answer.Json.GetProperty("result").GetInt64());
        _clients.Entities.Verify(e => e.GetEntityAsync(Counter, true, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Call_ReadOnlyOnAServerThatNeverStarted_AnswersItsInitStateAndSendsNothing()
    {
        var request = HttpTest.Request();
        Saved(null);

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.Equal(0, answer.Json.GetProperty("result").GetInt64());
        _clients.Entities.Verify(e => e.SignalEntityAsync(It.IsAny<EntityInstanceId>(), It.IsAny<string>(), It.IsAny<object?>(),
            It.IsAny<SignalEntityOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Theory]
    [InlineData("""{"$v":9,"state":{"value":1}}""")]
    [InlineData("""{"$v":1,"state":{"value":"seven"}}""")]
    public async Task Call_ReadOnlyOnAStateTheCodeRefuses_Returns500AsTheCallPathDoes(string persisted)
    {
        var request = HttpTest.Request();
        Saved(persisted);

        var answer = await _api.Call(request, _clients.Client.Object, "counter", "c1", "value").AnswerAsync(request);

        Assert.EndsWith(":server-fault", answer.Problem(500).GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_ReadOnlyWithBadInput_Returns400BeforeAnyRead()
    {
        var request = HttpTest.Request(body: "\"\"");

        var answer = await _api.Call(request, _clients.Client.Object, "cache", "c1", "peek").AnswerAsync(request);

        answer.Problem(400);
        _clients.Entities.Verify(e => e.GetEntityAsync(It.IsAny<EntityInstanceId>(), It.IsAny<bool>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Call_NotReadOnly_StillRunsInTheEntity()
    {
        var request = HttpTest.Request(body: "\"a\"");
        var (scheduled, _) = _clients.ExpectCall(Clients.Completed(CallOutcome.Replied(null)));

        var answer = await _api.Call(request, _clients.Client.Object, "cache", "c1", "get").AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal("Get", scheduled().Operation);
    }

    private void Saved(string? persisted) =>
        _clients.Entities.Setup(e => e.GetEntityAsync(Counter, true, It.IsAny<CancellationToken>()))
            .ReturnsAsync(persisted is null ? null : new EntityMetadata(Counter, new SerializedData(persisted)));
}
