using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Tests.Support;
using ServerlessGenServer.Entities.Ticking;

namespace ServerlessGenServer.Entities.Tests.Ticking;

public sealed class TickerTests : IDisposable
{
    private static readonly EntityInstanceId Id = new("ticker", "t1");
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Start_Interval_SchedulesFirstTickAtNowPlusInterval()
    {
        var start = _services.Time.GetUtcNow();

        var batch = await Run(null, new Op("start", """{"intervalMs":1500}"""));

        var signal = Assert.Single(batch.Signals);
        Assert.Equal(("@ticker@t1", GenServerTimer.FiringOperation, start.AddMilliseconds(1500)), (signal.InstanceId, signal.Name, signal.ScheduledTime));
        Assert.Equal(Ticker.TickTimer, Read<TimerFiring>(signal.Input).Name);
        Assert.Equal(32, State(batch).Chain!.Length);
    }

    [Fact]
    public async Task Tick_OnTime_CountsAndSchedulesTheNextGeneration()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":2000}"""));
        var first = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(first.ScheduledTime!.Value);

        var ticked = await Run(started.State, AsOp(first));

        var next = Assert.Single(ticked.Signals);
        Assert.Equal(1, State(ticked).Ticks);
        Assert.NotEqual(Read<TimerFiring>(first.Input).Generation, Read<TimerFiring>(next.Input).Generation);
        Assert.Equal(first.ScheduledTime.Value.AddSeconds(2), next.ScheduledTime);
        Assert.Equal(next.ScheduledTime, Due(ticked));
    }

    [Fact]
    public async Task Tick_DeliveredTwice_CountsOnce()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":1000}"""));
        var first = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(first.ScheduledTime!.Value);

        var batch = await Run(started.State, AsOp(first), AsOp(first));

        Assert.Equal(1, State(batch).Ticks);
        Assert.Single(batch.Signals);
    }

    [Fact]
    public async Task Tick_OfAChainReplacedByRestart_DoesNothing()
    {
        var first = await Run(null, new Op("start", """{"intervalMs":1000}"""));
        var restarted = await Run(first.State, new Op("start", """{"intervalMs":5000}"""));
        var oldTick = Assert.Single(first.Signals);
        var newTick = Assert.Single(restarted.Signals);
        _services.Time.Advance(TimeSpan.FromSeconds(5));

        var batch = await Run(restarted.State, AsOp(oldTick), AsOp(newTick));

        Assert.NotEqual(Read<TimerFiring>(oldTick.Input).Generation, Read<TimerFiring>(newTick.Input).Generation);
        Assert.Equal(1, State(batch).Ticks);
        Assert.Equal(_services.Time.GetUtcNow().AddSeconds(5), Assert.Single(batch.Signals).ScheduledTime);
    }

    [Fact]
    public async Task Stop_WhileRunning_SchedulesNothingAndTheTickInFlightIsIgnored()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":1000}"""));
        var inFlight = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(inFlight.ScheduledTime!.Value);

        var batch = await Run(started.State, new Op("stop"), AsOp(inFlight), new Op("status"));

        Assert.Empty(batch.Signals);
        var status = Read<TickerStatus>(batch.Results[2].Result);
        Assert.Equal(new TickerStatus(false, 1000, 0, null, null, null), status);
    }

    [Fact]
    public async Task Tick_EarlierThanTolerance_ReArmsForTheTimeLeftWithoutCounting()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":10000}"""));
        var tick = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(tick.ScheduledTime!.Value.AddMilliseconds(-400));

        var batch = await Run(started.State, AsOp(tick));

        Assert.Equal(0, State(batch).Ticks);
        var again = Assert.Single(batch.Signals);
        Assert.Equal(tick.ScheduledTime, again.ScheduledTime);
        Assert.Equal(tick.Input, again.Input);
    }

    [Fact]
    public async Task Tick_EarlyWithinTolerance_Counts()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":10000}"""));
        var tick = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(tick.ScheduledTime!.Value - GenServerTimer.EarlyTolerance);

        var batch = await Run(started.State, AsOp(tick));

        Assert.Equal(1, State(batch).Ticks);
        Assert.Equal(tick.ScheduledTime.Value.AddSeconds(10), Assert.Single(batch.Signals).ScheduledTime);
    }

    [Fact]
    public async Task Tick_Late_SchedulesTheNextOneIntervalAfterNow()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":10000}"""));
        var tick = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(tick.ScheduledTime!.Value.AddSeconds(25));

        var batch = await Run(started.State, AsOp(tick));

        Assert.Equal(1, State(batch).Ticks);
        Assert.Equal(_services.Time.GetUtcNow().AddSeconds(10), Assert.Single(batch.Signals).ScheduledTime);
    }

    [Fact]
    public async Task Start_IntervalLongerThanMaxSignalDelay_HopsAtMostThatLongUntilDue()
    {
        var start = _services.Time.GetUtcNow();
        var interval = TimeSpan.FromDays(10);

        var started = await Run(null, new Op("start", $$"""{"intervalMs":{{(long)interval.TotalMilliseconds}}}"""));
        var hop = Assert.Single(started.Signals);
        Assert.Equal(start + GenServerTimer.MaxSignalDelay, hop.ScheduledTime);

        _services.Time.SetUtcNow(hop.ScheduledTime!.Value);
        var rearmed = await Run(started.State, AsOp(hop));
        var due = Assert.Single(rearmed.Signals);
        Assert.Equal(0, State(rearmed).Ticks);
        Assert.Equal(start + interval, due.ScheduledTime);

        _services.Time.SetUtcNow(due.ScheduledTime!.Value);
        var ticked = await Run(rearmed.State, AsOp(due));
        Assert.Equal(1, State(ticked).Ticks);
        Assert.Equal(start + interval + GenServerTimer.MaxSignalDelay, Assert.Single(ticked.Signals).ScheduledTime);
    }

    [Fact]
    public async Task Tick_MaxTicksReached_EndsTheChain()
    {
        var batch = await Run(null, new Op("start", """{"intervalMs":1000,"maxTicks":3}"""));
        for (var i = 0; i < 3; i++)
        {
            var tick = Assert.Single(batch.Signals);
            _services.Time.SetUtcNow(tick.ScheduledTime!.Value);
            batch = await Run(batch.State, AsOp(tick));
        }

        Assert.Empty(batch.Signals);
        Assert.Equal(new TickerState(Running: false, IntervalMs: 1000, Ticks: 3, MaxTicks: 3), State(batch));
    }

    [Fact]
    public async Task Status_Running_ReportsChainAndNextTick()
    {
        var start = _services.Time.GetUtcNow();

        var batch = await Run(null, new Op("start", """{"intervalMs":60000,"maxTicks":5}"""), new Op("status"));

        var status = Read<TickerStatus>(batch.Results[1].Result);
        Assert.Equal(new TickerStatus(true, 60000, 0, 5, State(batch).Chain, start.AddMinutes(1)), status);
    }

    [Fact]
    public async Task Tick_PendingTickReachesDeletedTicker_LeavesNoState()
    {
        var started = await Run(null, new Op("start", """{"intervalMs":1000}"""));
        var deleted = await Run(started.State, new Op("delete"));
        var tick = Assert.Single(started.Signals);
        _services.Time.SetUtcNow(tick.ScheduledTime!.Value);

        var batch = await Run(deleted.State, AsOp(tick), new Op("onTick"));

        Assert.Null(deleted.State);
        Assert.True(batch.Results[0].Ok);
        Assert.True(batch.Results[1].Ok);
        Assert.Null(batch.State);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task Tick_Version0RunningChain_GoesOnAsTheTimerAndTheOldTickIsDropped()
    {
        // What the ticker stored before the runtime kept its timers: its own chain, and its tick in flight.
        var due = _services.Time.GetUtcNow().AddSeconds(3);
        var v0 = $$"""{"running":true,"intervalMs":5000,"ticks":7,"maxTicks":null,"chain":"c0","seq":8,"nextTickAt":"{{due:O}}"}""";

        var upgraded = await Run(v0, new Op("Tick", """{"chain":"c0","seq":8}"""), new Op("status"));

        var timer = Assert.Single(upgraded.Signals);
        Assert.Equal(due, timer.ScheduledTime);
        Assert.Equal(new TickerStatus(true, 5000, 7, null, "c0", due), Read<TickerStatus>(upgraded.Results[1].Result));
        Assert.Equal(1, JsonDocument.Parse(upgraded.State!).RootElement.GetProperty("$v").GetInt32());
        _services.Time.SetUtcNow(due);
        var ticked = await Run(upgraded.State, AsOp(timer));
        Assert.Equal(8, State(ticked).Ticks);
    }

    [Theory]
    [InlineData("""{"intervalMs":999}""", "IntervalMs")]
    [InlineData("""{"intervalMs":0}""", "IntervalMs")]
    [InlineData("""{}""", "IntervalMs")]
    [InlineData("""{"intervalMs":1000,"maxTicks":0}""", "MaxTicks")]
    [InlineData("""{"intervalMs":31622400001}""", "IntervalMs")]
    [InlineData("""{"interval":1000}""", "interval")]
    public void ReadInput_BadStart_ThrowsValidationException(string json, string expected)
    {
        Assert.True(GenServerOperations.For(typeof(Ticker)).TryGet("start", out var start));

        var ex = Assert.Throws<ValidationException>(() => start.ReadInput(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_IntervalBelowOneSecondInsideTheEntity_FailsAndSchedulesNothing()
    {
        var batch = await Run(null, new Op("start", """{"intervalMs":10}"""));

        Assert.False(batch.Results[0].Ok);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task RunAsync_DirectWithFakes_StartsAndTicks()
    {
        var entity = new FakeEntity(Id);
        var ticker = _services.Create<Ticker>();

        await entity.RunAsync(ticker, "start", new StartTicker(1000));
        var (_, name, input, at) = Assert.Single(entity.Context.Signals);
        _services.Time.SetUtcNow(at!.Value);
        await entity.RunAsync(ticker, name, input);

        var status = (TickerStatus)(await entity.RunAsync(ticker, "status"))!;
        Assert.Equal((true, 1L), (status.Running, status.Ticks));
        Assert.Equal(2, entity.Context.Signals.Count);
    }

    private static Op AsOp(SentSignal signal) => new(signal.Name, signal.Input);

    private static T Read<T>(string? json) => JsonSerializer.Deserialize<T>(json!, GenServerJson.Options)!;

    private static TickerState State(BatchResult batch) => GenServerEnvelope.ServerState<TickerState>(batch.State)!;

    private static DateTimeOffset? Due(BatchResult batch) =>
        JsonDocument.Parse(batch.State!).RootElement.GetProperty("timers").GetProperty(Ticker.TickTimer).GetProperty("due").GetDateTimeOffset();

    private Task<BatchResult> Run(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Ticker>(), Id, state, _services.Provider, ops);
}
