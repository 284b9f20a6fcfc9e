using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>
/// A benchmark-only GenServer that records when scheduled messages arrive. <c>mark</c> stores its arrival time
/// against the due time it carries (a client signal scheduled with SignalTime); <c>arm</c> schedules a <c>mark</c>
/// with <see cref="GenServer{TState}.SendAfter"/> (Process.send_after). At most <see cref="MaxMarks"/> are kept.
/// </summary>
public sealed class Stamp(TimeProvider time, ILogger<Stamp> logger) : GenServer<StampState>(time, logger)
{
    public const int MaxMarks = 10_000;

    public void Arm(ArmRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var delay = TimeSpan.FromMilliseconds(request.DelayMs);
        SendAfter(delay, nameof(Mark), new MarkRequest(request.Id, (Now + delay).ToUnixTimeMilliseconds()));
    }

    public void Mark(MarkRequest mark)
    {
        ArgumentNullException.ThrowIfNull(mark);
        if (State.Marks.Count < MaxMarks)
        {
            State.Marks[mark.Id] = new Arrival(mark.DueMs, Now.ToUnixTimeMilliseconds());
        }
    }

    protected override StampState Init() => new();
}

public sealed record ArmRequest([property: Range(0, int.MaxValue)] int Id, [property: Range(1, 600_000)] int DelayMs);

public sealed record MarkRequest([property: Range(0, int.MaxValue)] int Id, long DueMs);

/// <summary>When a scheduled message was due and when it ran (Unix ms).</summary>
public sealed record Arrival(long DueMs, long ArrivedMs);

public sealed record StampState
{
    public Dictionary<int, Arrival> Marks { get; set; } = [];
}
