using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.GenServers;

/// <summary>The runtime behind the base, through the isolated worker's real entity path: envelope, versions, timers, lifecycle.</summary>
public sealed class RuntimeTests : IDisposable
{
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Load_Version0StateWithLedger_IsUpgradedAndSavedAsTheEnvelope()
    {
        const string v0 = """{"inits":1,"warmUps":2,"reminders":0,"last":"old","$once":[{"key":"k1","at":1,"exp":99999999999999,"fp":"00"}]}""";

        var batch = await Probe(v0, new Op("note", "\"new\""));

        using var stored = JsonDocument.Parse(batch.State!);
        Assert.Equal(1, stored.RootElement.GetProperty("$v").GetInt32());
        Assert.Equal(new ProbeState(1, 2, 0, "new"), GenServerEnvelope.ServerState<ProbeState>(batch.State));
        Assert.False(stored.RootElement.GetProperty("state").TryGetProperty("$once", out _));
        Assert.Equal("k1", stored.RootElement.GetProperty("once")[0].GetProperty("key").GetString());
        Assert.Contains(_services.Logs.Entries, e => e.Message.Contains("from version 0 to 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Load_StateOfANewerVersion_IsRefusedAndLeftUnchanged()
    {
        const string v2 = """{"$v":2,"state":{"inits":"now a string"},"timers":{"x":{"g":1,"due":"2026-11-27T12:00:01+00:00","op":"warmUp"}}}""";

        var batch = await Probe(v2, new Op("note", "\"x\""), new Op("last"), new Op("warmUp"));

        Assert.All(batch.Results, r => Assert.Equal(typeof(GenServerStateException).FullName, r.ErrorType));
        Assert.Contains("version 2", batch.Results[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(v2, batch.State);
        Assert.Empty(batch.Signals);
        Assert.Contains(_services.Logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("version 2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"$v":1,"state":{"inits":"not a number"}}""")]
    [InlineData("""{"inits":"not a number"}""")]
    [InlineData("""{"$v":1,"state":null}""")]
    [InlineData("""[1,2,3]""")]
    public async Task Load_UnreadableState_FailsAsAServerFaultAndDeleteStillWorks(string stored)
    {
        var batch = await Probe(stored, new Op("last"), new Op("note", "\"x\""));
        var deleted = await Probe(stored, new Op("delete"));

        Assert.All(batch.Results, r => Assert.Equal(typeof(GenServerStateException).FullName, r.ErrorType));
        Assert.Equal(stored, batch.State);
        Assert.True(deleted.Results[0].Ok);
        Assert.Null(deleted.State);
    }

    [Fact]
    public async Task Timer_Fires_DeliversItsMessageOnceAndIsGone()
    {
        var armed = await RunBell("b1", null, new Op("arm", "1500"));
        var firing = Assert.Single(armed.Signals);
        _services.Time.Advance(TimeSpan.FromMilliseconds(1500));

        var fired = await RunBell("b1", armed.State, AsOp(firing), AsOp(firing), new Op("rings"), new Op("due"));

        Assert.Equal(_services.Time.GetUtcNow(), firing.ScheduledTime);
        Assert.Equal(("1", (string?)null), (fired.Results[2].Result, fired.Results[3].Result));
        Assert.Equal(["rang by timer"], Server(fired).Notes);
        Assert.Empty(fired.Signals);
    }

    [Fact]
    public async Task Timer_CancelledBeforeFiring_NothingFires()
    {
        var armed = await RunBell("b1", null, new Op("arm", "1500"));
        var cancelled = await RunBell("b1", armed.State, new Op("disarm"));
        _services.Time.Advance(TimeSpan.FromSeconds(2));

        var batch = await RunBell("b1", cancelled.State, AsOp(Assert.Single(armed.Signals)), new Op("rings"));

        Assert.Equal("true", cancelled.Results[0].Result);
        Assert.Equal("0", batch.Results[1].Result);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task Timer_RestartedWhileTheOldFiringIsInFlight_OnlyTheNewOneCounts()
    {
        var first = await RunBell("b1", null, new Op("arm", "1000"));
        _services.Time.Advance(TimeSpan.FromMilliseconds(500));
        var second = await RunBell("b1", first.State, new Op("arm", "1000"));
        _services.Time.Advance(TimeSpan.FromMilliseconds(1000));

        var batch = await RunBell("b1", second.State, AsOp(Assert.Single(first.Signals)), AsOp(Assert.Single(second.Signals)), new Op("rings"));

        Assert.Equal("1", batch.Results[2].Result);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task PeriodicTimer_LateFiring_MovesTheChainAndCancelInTheHandlerSendsNothing()
    {
        var started = await RunBell("b1", null, new Op("repeat", "10000"));
        var firing = Assert.Single(started.Signals);
        _services.Time.Advance(TimeSpan.FromSeconds(25));

        var late = await RunBell("b1", started.State, AsOp(firing));
        var cancelled = await RunBell("b1", late.State, new Op("disarm"), AsOp(Assert.Single(late.Signals)));

        Assert.Equal(_services.Time.GetUtcNow().AddSeconds(10), Assert.Single(late.Signals).ScheduledTime);
        Assert.Equal(1, Server(cancelled).Rings);
        Assert.Empty(cancelled.Signals);
    }

    [Fact]
    public async Task Operation_EditsStateInPlaceThenThrows_RollsBackStateTimersAndSignals()
    {
        var before = await RunBell("b1", null, new Op("note", "\"kept\""));

        var batch = await RunBell("b1", before.State, new Op("noteThenFail", "\"lost\""), new Op("notes"), new Op("due"), new Op("rings"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal("[\"kept\"]", batch.Results[1].Result);
        Assert.Equal(((string?)null, "0"), (batch.Results[2].Result, batch.Results[3].Result));
        Assert.Empty(batch.Signals);
        Assert.Equal(before.State, batch.State);
    }

    [Fact]
    public async Task Delete_WithATimerArmed_RunsOnStopAndThePendingFiringCreatesNothing()
    {
        var armed = await RunBell("b-delete", null, new Op("arm", "1000"), new Op("note", "\"x\""));
        var deleted = await RunBell("b-delete", armed.State, new Op("delete"));
        _services.Time.Advance(TimeSpan.FromSeconds(1));

        var late = await RunBell("b-delete", deleted.State, AsOp(Assert.Single(armed.Signals)), new Op("ring", "\"self\""));

        Assert.Null(deleted.State);
        Assert.Equal(0, Bell.Stopped["b-delete"]);
        Assert.All(late.Results, r => Assert.True(r.Ok));
        Assert.Null(late.State);
        Assert.Empty(late.Signals);
    }

    [Fact]
    public async Task Call_ToAServerWithNoState_StartsIt()
    {
        var batch = await RunBell("b1", null, new Op("rings"));

        Assert.Equal("0", batch.Results[0].Result);
        Assert.Equal(new BellState().Rings, Server(batch).Rings);
    }

    [Fact]
    public async Task StopServer_FromAnOperation_RunsOnStopAndDeletesTheState()
    {
        var batch = await RunBell("b-quit", null, new Op("ring"), new Op("note", "\"started\""), new Op("ring"), new Op("quit"));

        Assert.Null(batch.State);
        Assert.Equal(1, Bell.Stopped["b-quit"]);
    }

    [Fact]
    public async Task StopAfterIdle_NoClientMessage_DeletesAfterTheInterval()
    {
        var started = await RunBell("sleepy-1", null, new Op("note", "\"a\""));
        var idle = Assert.Single(started.Signals);
        _services.Time.Advance(Bell.Idle);

        var stopped = await RunBell("sleepy-1", started.State, AsOp(idle));

        Assert.Equal(_services.Time.GetUtcNow(), idle.ScheduledTime);
        Assert.Null(stopped.State);
        Assert.Equal(0, Bell.Stopped["sleepy-1"]);
    }

    [Fact]
    public async Task StopAfterIdle_ClientMessageInBetween_PostponesItWithoutANewSignal()
    {
        var started = await RunBell("sleepy-2", null, new Op("note", "\"a\""));
        var idle = Assert.Single(started.Signals);
        _services.Time.Advance(TimeSpan.FromMinutes(6));
        var touched = await RunBell("sleepy-2", started.State, new Op("note", "\"b\""), new Op("ring"), new Op("note", "\"c\""));
        _services.Time.Advance(TimeSpan.FromMinutes(4));

        var early = await RunBell("sleepy-2", touched.State, AsOp(idle));
        var rearmed = Assert.Single(early.Signals);
        _services.Time.Advance(TimeSpan.FromMinutes(6));
        var stopped = await RunBell("sleepy-2", early.State, AsOp(rearmed));

        Assert.Empty(touched.Signals);
        Assert.NotNull(early.State);
        Assert.Equal(_services.Time.GetUtcNow(), rearmed.ScheduledTime);
        Assert.Null(stopped.State);
    }

    [Fact]
    public async Task FormerName_MessageUnderTheOldName_ReachesTheRenamedOperation()
    {
        var batch = await EntityBatch.RunAsync(_services.Create<Renamed>(), new EntityInstanceId("renamed", "r1"), null, _services.Provider,
            new Op("bump"), new Op("OldBump"), new Op("count"));

        Assert.Equal("2", batch.Results[2].Result);
        Assert.False(GenServerOperations.For(typeof(Renamed)).TryGet("oldBump", out _));
        Assert.True(GenServerOperations.For(typeof(Renamed)).TryResolve("oldBump", out var resolved));
        Assert.Equal("Bump", resolved.Name);
    }

    private static Op AsOp(SentSignal signal) => new(signal.Name, signal.Input);

    private static BellState Server(BatchResult batch) => GenServerEnvelope.ServerState<BellState>(batch.State)!;

    private Task<BatchResult> Probe(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Probe>(), new EntityInstanceId("probe", "p1"), state, _services.Provider, ops);

    private Task<BatchResult> RunBell(string key, string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Bell>(), new EntityInstanceId("bell", key), state, _services.Provider, ops);

    private sealed class Renamed(TimeProvider time, ILogger<Renamed> logger) : GenServer<RenamedState>(time, logger)
    {
        [FormerName("OldBump")]
        public void Bump() => State = State with { Count = State.Count + 1 };

        public int Count() => State.Count;

        protected override RenamedState Init() => new();
    }

    private sealed record RenamedState(int Count = 0);
}
