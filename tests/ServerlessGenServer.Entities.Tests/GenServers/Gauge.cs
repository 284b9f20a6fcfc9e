using System.Text.Json;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.GenServers;

public sealed record GaugeState(long Level = 0, int Reads = 0);

/// <summary>A test-only GenServer with read-only calls that keep their promise and ones that break it.</summary>
public sealed class Gauge(TimeProvider time, ILogger<Gauge> logger) : GenServer<GaugeState>(time, logger)
{
    public const long InitialLevel = 7;

    protected override int StateVersion => 2;

    public void Set(long level) => State = State with { Level = level };

    public void Arm() => StartTimer("t", TimeSpan.FromMinutes(1), nameof(Set), 1L);

    [ReadOnly]
    public long Level() => State.Level;

    [ReadOnly]
    public long LevelPlus(long add) => State.Level + add;

    [ReadOnly]
    public DateTimeOffset? Due() => TimerDue("t");

    [ReadOnly]
    public long Refuse() => throw new GenServerException("The gauge refuses to say.");

    [ReadOnly]
    public long CountingRead()
    {
        State = State with { Reads = State.Reads + 1 };
        return State.Level;
    }

    [ReadOnly]
    public long Nudging()
    {
        Continue(nameof(Set), 1L);
        return State.Level;
    }

    [ReadOnly]
    public long Timing()
    {
        StartTimer("t", TimeSpan.FromSeconds(1), nameof(Set), 2L);
        return State.Level;
    }

    [ReadOnly]
    public bool Cancelling() => CancelTimer("t");

    [ReadOnly]
    public long Quitting()
    {
        StopServer();
        return State.Level;
    }

    [ReadOnly]
    public long Signalling()
    {
        Context.SignalEntity(Context.Id, nameof(Set), 3L);
        return State.Level;
    }

    protected override GaugeState Init() => new(Level: InitialLevel);

    // Version 1 kept the level under "old", in tenths.
    protected override GaugeState CodeChange(int fromVersion, JsonElement state) => new(Level: state.GetProperty("old").GetInt64() * 10);
}
