using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Timers;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The nightly cleanup timer run against the real engine's storage, with the engine's client.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class EntityCleanupTimerEngineTests(EngineFixture engine)
{
    // A reorder window of 0 makes a stopped server's record removable at once (Durable's default keeps it 30 minutes).
    private Task<EngineHost> HostAsync() => engine.HostForAsync(this, options => options with { EntityMessageReorderWindowInMinutes = 0 });

    [Fact]
    public async Task Run_TwoStoppedServersAndAnUnreadCall_RemovesThemAndKeepsTheLiveServer()
    {
        var host = await HostAsync();
        var http = new GenServerHttp(host.Registry, host.Client);
        string[] keys = ["stopped-a", "stopped-b", "live"];
        foreach (var key in keys)
        {
            await http.CastAsync("counter", key, "increment");
            await Eventually.WaitForAsync(() => http.StateAsync("counter", key), s => s is not null, $"{key}'s state");
        }

        foreach (var key in keys[..2])
        {
            await http.DeleteAsync("counter", key);
            await Eventually.WaitForAsync(() => http.GetAsync("counter", key), a => a.Status == 404, $"{key} to stop");
        }

        // A call whose reply nobody read (its caller timed out): a finished orchestration left in storage.
        var unread = await host.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(CallOrchestrator), new CallBatch([new CallRequest("counter", "live", "value")]), new StartOrchestrationOptions($"{GenServerClient.CallIdPrefix}{Guid.NewGuid():N}"));
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await host.Client.WaitForInstanceCompletionAsync(unread, wait.Token);
        }

        var recordsBefore = await CounterRecordsAsync(host);
        var logger = new RecordingLogger<EntityCleanupTimer>();
        // Two days on, the call is older than the timer's one-day retention.
        await new EntityCleanupTimer(new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(2)), logger)
            .Run(new TimerInfo(), host.Client, CancellationToken.None);
        var recordsAfter = await CounterRecordsAsync(host);
        var again = new RecordingLogger<EntityCleanupTimer>();
        await new EntityCleanupTimer(TimeProvider.System, again).Run(new TimerInfo(), host.Client, CancellationToken.None);

        var report = Assert.Single(logger.Entries).Values;
        var secondReport = Assert.Single(again.Entries).Values;
        Assert.Equal(keys.Order(), recordsBefore.Order());
        Assert.Equal(2, report["EmptyEntitiesRemoved"]);
        Assert.Equal(0, report["OrphanedLocksReleased"]);
        Assert.Equal(1, report["CallsPurged"]);
        Assert.Equal(["live"], recordsAfter);
        Assert.Null(await host.Client.GetInstanceAsync(unread));
        Assert.Equal(1, (await http.StateAsync("counter", "live"))!.Value.GetProperty("value").GetInt64());
        Assert.Equal(0, secondReport["EmptyEntitiesRemoved"]);
        Assert.Equal(0, secondReport["CallsPurged"]);
    }

    // Every counter the task hub still has a record of, with or without state.
    private static async Task<List<string>> CounterRecordsAsync(EngineHost host)
    {
        var keys = new List<string>();
        await foreach (var entity in host.Client.Entities.GetAllEntitiesAsync(
            new EntityQuery { InstanceIdStartsWith = "@counter@", IncludeTransient = true, IncludeState = false }))
        {
            keys.Add(entity.Id.Key);
        }

        return keys;
    }
}
