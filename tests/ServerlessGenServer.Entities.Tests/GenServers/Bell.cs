using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.GenServers;

/// <summary>The state of <see cref="Bell"/>: edited in place, so that a rollback must restore it from what was stored.</summary>
public sealed record BellState
{
    public List<string> Notes { get; init; } = [];

    public int Rings { get; set; }
}

/// <summary>A test-only GenServer for the runtime's timers and lifecycle.</summary>
public sealed class Bell(TimeProvider time, ILogger<Bell> logger) : GenServer<BellState>(time, logger)
{
    /// <summary>The idle interval of every bell (the runtime reads it per operation).</summary>
    public static readonly TimeSpan Idle = TimeSpan.FromMinutes(10);

    public void Note(string text) => State.Notes.Add(text);

    public void Arm(int delayMs) => StartTimer("bell", TimeSpan.FromMilliseconds(delayMs), nameof(Ring), "timer");

    public void Repeat(int periodMs) => StartPeriodicTimer("bell", TimeSpan.FromMilliseconds(periodMs), nameof(Ring), "periodic");

    public bool Disarm() => CancelTimer("bell");

    public DateTimeOffset? Due() => TimerDue("bell");

    public void Quit() => StopServer();

    /// <summary>Edits the state in place, arms a timer and sends a message, then fails: all of it must be rolled back.</summary>
    public void NoteThenFail(string text)
    {
        State.Notes.Add(text);
        State.Rings = 99;
        StartTimer("bell", TimeSpan.FromSeconds(1), nameof(Ring));
        Continue(nameof(Ring), "continued");
        throw new InvalidOperationException($"failed after {text}");
    }

    public int Rings() => State.Rings;

    public IReadOnlyList<string> Notes() => State.Notes;

    [HandleInfo]
    public void Ring(string? by = null)
    {
        State.Rings++;
        State.Notes.Add($"rang by {by}");
    }

    protected override TimeSpan? StopAfterIdle => Sleepy ? Idle : null;

    /// <summary>Bells in keys starting with "sleepy" stop after <see cref="Idle"/>.</summary>
    private bool Sleepy => Context.Id.Key.StartsWith("sleepy", StringComparison.Ordinal);

    protected override BellState Init() => new();

    /// <summary>What <see cref="OnStop"/> saw, per key: the rings of the state about to be deleted.</summary>
    public static System.Collections.Concurrent.ConcurrentDictionary<string, int> Stopped { get; } = new();

    protected override void OnStop() => Stopped[Context.Id.Key] = State.Rings;
}
