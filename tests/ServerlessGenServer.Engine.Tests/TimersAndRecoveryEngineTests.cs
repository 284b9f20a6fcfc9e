using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>SendAfter on the real engine, and what survives a worker being stopped and replaced.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class TimersAndRecoveryEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    [Fact]
    public async Task SendAfter_AlarmSetForThreeSeconds_RingsOnTime()
    {
        var host = await engine.HostForAsync(this);
        var http = new GenServerHttp(host.Registry, host.Client);

        var cast = await http.CastAsync("alarm", "three", "set", "3000");
        var state = await Eventually.WaitForAsync(
            () => http.StateAsync("alarm", "three"), s => s?.GetProperty("rings").GetInt32() == 1, "the alarm to ring");

        var setAt = state!.Value.GetProperty("setAt").GetDateTimeOffset();
        var rangAt = state.Value.GetProperty("rangAt").GetDateTimeOffset();
        output.WriteLine($"SendAfter(3 s) rang after {(rangAt - setAt).TotalMilliseconds:0} ms");
        Assert.Equal(202, cast.Status);
        Assert.InRange(rangAt - setAt, TimeSpan.FromSeconds(3) - Delivery.MaxEarliness, TimeSpan.FromSeconds(3) + Delivery.MaxLateness);
    }

    [Fact]
    public async Task FreshWorker_AfterStop_KeepsStateAndDeliversThePendingScheduledSignal()
    {
        var options = engine.NewOptions("Recovery");
        var first = await EngineHost.StartAsync(options);
        var before = new GenServerHttp(first.Registry, first.Client);
        await before.CastAsync("counter", "survivor", "increment", "5");
        await before.CastAsync("alarm", "survivor", "set", "8000");
        await Eventually.WaitForAsync(() => before.StateAsync("counter", "survivor"), s => s is not null, "the counter's state");
        var armed = await Eventually.WaitForAsync(
            () => before.StateAsync("alarm", "survivor"), s => s is not null, "the alarm to be set");
        await first.DisposeAsync();

        await using var second = await EngineHost.StartAsync(options);
        var after = new GenServerHttp(second.Registry, second.Client);
        var counter = await after.StateAsync("counter", "survivor");
        await after.CastAsync("counter", "survivor", "increment", "1");
        var rang = await Eventually.WaitForAsync(
            () => after.StateAsync("alarm", "survivor"), s => s?.GetProperty("rings").GetInt32() >= 1, "the alarm to ring on the new worker");
        var next = await Eventually.WaitForAsync(
            () => after.StateAsync("counter", "survivor"), s => s?.GetProperty("value").GetInt64() == 6, "the new worker to apply a cast");

        Assert.Equal(5, counter!.Value.GetProperty("value").GetInt64());
        Assert.Equal(0, armed!.Value.GetProperty("rings").GetInt32());
        Assert.Equal(1, rang!.Value.GetProperty("rings").GetInt32());
        var due = rang.Value.GetProperty("dueAt").GetDateTimeOffset();
        var rangAt = rang.Value.GetProperty("rangAt").GetDateTimeOffset();
        output.WriteLine($"After a worker restart the alarm rang {(rangAt - due).TotalMilliseconds:0} ms from its due time");
        Assert.True(rangAt >= due - Delivery.MaxEarliness, $"rang at {rangAt:O}, more than {Delivery.MaxEarliness} before it was due at {due:O}");
        Assert.Equal(6, next!.Value.GetProperty("value").GetInt64());
    }
}
