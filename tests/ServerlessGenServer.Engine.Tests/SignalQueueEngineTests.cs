using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Queues;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>
/// The queue trigger on the real engine: the function is constructed as the Functions host does and given a message's
/// text (the host decodes the queue message) and the engine's <see cref="Microsoft.DurableTask.Client.DurableTaskClient"/>.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class SignalQueueEngineTests(EngineFixture engine)
{
    private readonly RecordingLogger<SignalQueueFunction> _logger = new();

    private SignalQueueFunction NewFunction() =>
        new(GenServerRegistry.Default, new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance), _logger);

    [Fact]
    public async Task Run_CounterIncrementFive_CounterStateIsFive()
    {
        var host = await engine.HostForAsync(this);
        var http = new GenServerHttp(host.Registry, host.Client);

        await NewFunction().Run("""{"server":"counter","key":"queued","operation":"increment","input":5}""", host.Client, CancellationToken.None);
        var state = await Eventually.WaitForAsync(() => http.StateAsync("counter", "queued"), s => s is not null, "the queued increment");

        Assert.Equal(5, state!.Value.GetProperty("value").GetInt64());
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("counter@queued 'Increment'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_BadMessages_ThrowAndLeaveTheStateUnchanged()
    {
        var host = await engine.HostForAsync(this);
        var http = new GenServerHttp(host.Registry, host.Client);
        var function = NewFunction();
        await function.Run("""{"server":"counter","key":"guarded-q","operation":"increment","input":5}""", host.Client, CancellationToken.None);
        await Eventually.WaitForAsync(() => http.StateAsync("counter", "guarded-q"), s => s is not null, "the first increment");
        string[] bad =
        [
            """{"server":"counter","key":"guarded-q","operation":"increment","input":"five"}""",
            """{"server":"counter","key":"guarded-q","operation":"increment","input":0}""",
            """{"server":"counter","key":"guarded-q","operation":"value"}""",
            """{"server":"counter","key":"guarded-q","operation":"explode"}""",
            """{"server":"counter","key":"guarded-q","operation":"increment","extra":1}""",
            """{"server":"nope","key":"guarded-q","operation":"increment"}""",
            "not json",
        ];

        var refused = new List<ValidationException>();
        foreach (var message in bad)
        {
            refused.Add(await Assert.ThrowsAsync<ValidationException>(() => function.Run(message, host.Client, CancellationToken.None)));
        }

        var unchanged = await http.StateAsync("counter", "guarded-q");
        // A valid message sent after the bad ones: had any of them become a signal, it would have been queued first.
        await function.Run("""{"server":"counter","key":"guarded-q","operation":"increment","input":1}""", host.Client, CancellationToken.None);
        var next = await Eventually.WaitForAsync(
            () => http.StateAsync("counter", "guarded-q"), s => s?.GetProperty("value").GetInt64() != 5, "the valid message after the bad ones");

        Assert.Equal(bad.Length, refused.Count);
        Assert.Equal(bad.Length, _logger.Entries.Count(e => e.Level == LogLevel.Warning));
        Assert.Equal(5, unchanged!.Value.GetProperty("value").GetInt64());
        Assert.Equal(6, next!.Value.GetProperty("value").GetInt64());
    }
}
