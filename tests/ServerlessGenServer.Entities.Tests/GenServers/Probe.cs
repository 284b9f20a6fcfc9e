using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.GenServers;

public sealed record ProbeState(int Inits = 0, int WarmUps = 0, int Reminders = 0, string? Last = null);

/// <summary>A test-only GenServer that exercises each part of the base class.</summary>
public sealed class Probe(TimeProvider time, ILogger<Probe> logger) : GenServer<ProbeState>(time, logger)
{
    public void Note(string text) => State = State with { Last = text };

    public string? Last() => State.Last;

    /// <summary>A call with a reply of any size.</summary>
    public string Pad([Range(0, 100_000)] int length) => new('x', length);

    public void Remind([Range(1, 60_000)] int delayMs) => SendAfter(TimeSpan.FromMilliseconds(delayMs), nameof(Ring), State.Reminders + 1);

    [HandleInfo]
    public void Ring(int reminder) => State = State with { Reminders = reminder };

    [HandleInfo]
    public void WarmUp() => State = State with { WarmUps = State.WarmUps + 1 };

    public void Fail(string text)
    {
        State = State with { Last = text };
        Continue(nameof(WarmUp));
        throw new InvalidOperationException($"failed on {text}");
    }

    protected override ProbeState Init()
    {
        Continue(nameof(WarmUp));
        return new ProbeState(Inits: 1);
    }
}
