using Azure.Storage.Queues;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Ticking;
using ServerlessGenServer.Functions.Timers;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The timer watchdog on the real engine: a timer whose firing message was destroyed is re-armed.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class TimerWatchdogEngineTests(EngineFixture engine)
{
    [Fact]
    public async Task Run_FiringMessageDestroyed_ReArmsTheTimer()
    {
        var host = await engine.HostForAsync(this);
        var http = new GenServerHttp(host.Registry, host.Client);
        var id = new EntityInstanceId("ticker", "watched");

        await http.CastAsync("ticker", id.Key, "start", """{"intervalMs":3000}""");
        var armed = await Eventually.WaitForAsync(
            () => host.Client.Entities.GetServerStateAsync<TickerState>(id), r => r?.TimerDue(Ticker.TickTimer) is not null, "the tick timer");
        await DestroyMessagesAsync(host);
        await Task.Delay(armed!.TimerDue(Ticker.TickTimer)!.Value + TimeSpan.FromSeconds(4) - DateTimeOffset.UtcNow);
        var lost = await host.Client.Entities.GetServerStateAsync<TickerState>(id);

        // The watchdog's clock is past the grace, as it would be on its next run after the loss.
        var watchdog = new TimerWatchdog(new AheadClock(TimerWatchdog.Grace + TimeSpan.FromSeconds(5)), host.Registry, NullLogger<TimerWatchdog>.Instance);
        await watchdog.Run(null!, host.Client, CancellationToken.None);
        var resumed = await Eventually.WaitForAsync(
            () => host.Client.Entities.GetServerStateAsync<TickerState>(id), r => r?.State.Ticks >= 2, "ticking to resume");

        Assert.Equal(0, lost!.State.Ticks);
        Assert.True(resumed!.State.Running);
    }

    // The scheduled firing waits, invisible, in the task hub's queues: clearing them destroys it.
    private static async Task DestroyMessagesAsync(EngineHost host)
    {
        var service = new QueueServiceClient(host.Options.ConnectionString);
        await foreach (var queue in service.GetQueuesAsync(prefix: host.Options.TaskHubName.ToLowerInvariant()))
        {
            await service.GetQueueClient(queue.Name).ClearMessagesAsync();
        }
    }

    private sealed class AheadClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }
}
