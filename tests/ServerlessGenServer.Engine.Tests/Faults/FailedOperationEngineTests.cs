using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// An operation that throws: its state change and the signals it sent are rolled back, the caller of a call gets a 422,
/// and the entity goes on with its next messages.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class FailedOperationEngineTests(EngineFixture engine) : IAsyncLifetime
{
    private EngineHost? _host;

    private GenServerHttp Http => new(_host!.Registry, _host.Client);

    public async Task InitializeAsync()
    {
        var options = engine.NewOptions("Fragile");
        _host = await EngineHost.StartAsync(options with { ExtraServers = [.. options.ExtraServers, typeof(Fragile)] });
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Operation_ThrowsAfterChangingStateAndSignalling_RollsBackBothAndLaterMessagesRun()
    {
        var http = Http;

        var first = await http.CallAsync("fragile", "f1", "add", "1");
        var failedCall = await http.CallAsync("fragile", "f1", "addThenFail", "5");
        var afterFailedCall = await http.CallAsync("fragile", "f1", "read");
        var casts = new[]
        {
            await http.CastAsync("fragile", "f1", "add", "2"),
            await http.CastAsync("fragile", "f1", "addThenFail", "7"),
            await http.CastAsync("fragile", "f1", "add", "3"),
        };
        await Eventually.WaitForAsync(
            () => http.StateAsync("fragile", "f1"), s => s?.GetProperty("total").GetInt64() >= 6, "the casts after the failed one");

        // The marker's signals go to the same two entities as the failed operations' would have, from the same sender,
        // so they arrive after any that leaked: once the marker's have arrived, a leaked one would show.
        var relay = await http.CallAsync("fragile", "f1", "relay", "100");
        var witness = await Eventually.WaitForAsync(
            () => http.StateAsync("counter", "f1"), s => s?.GetProperty("value").GetInt64() >= 100, "the marker at the witness");
        var state = await Eventually.WaitForAsync(
            () => http.StateAsync("fragile", "f1"), s => s?.GetProperty("total").GetInt64() >= 106, "the marker's self-signal");

        Assert.Equal(200, first.Status);
        // An InvalidOperationException is a fault, not a declared error: 500, nothing of it shown, a correlation id.
        Assert.Equal(500, failedCall.Status);
        Assert.Equal("application/problem+json", failedCall.ContentType);
        Assert.DoesNotContain("not added", failedCall.Body.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", failedCall.Body.ToString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(failedCall.Body.GetProperty("correlationId").GetString()));
        Assert.Equal(1, afterFailedCall.Body.GetProperty("result").GetProperty("total").GetInt64());
        Assert.All(casts, c => Assert.Equal(202, c.Status));
        Assert.Equal(200, relay.Status);
        Assert.Equal(100, witness!.Value.GetProperty("value").GetInt64());
        Assert.Equal(106, state!.Value.GetProperty("total").GetInt64());
        Assert.Equal(4, state.Value.GetProperty("adds").GetInt32()); // 1, 2, 3 and the marker's 100
    }
}
