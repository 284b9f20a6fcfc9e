using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Tests.TestServers;

/// <summary>A test-only GenServer: <c>set</c> arms a SendAfter self-message; <c>ring</c> (handle_info) records when it arrived.</summary>
[Offer]
public sealed class Alarm(TimeProvider time, ILogger<Alarm> logger) : GenServer<AlarmState>(time, logger)
{
    public void Set([Range(1, 600_000)] long delayMs)
    {
        var delay = TimeSpan.FromMilliseconds(delayMs);
        State = State with { SetAt = Now, DueAt = Now + delay, RangAt = null };
        SendAfter(delay, nameof(Ring));
    }

    [HandleInfo]
    public void Ring() => State = State with { RangAt = Now, Rings = State.Rings + 1 };

    public AlarmState Read() => State;

    protected override AlarmState Init() => new();
}

/// <summary>When the alarm was set, when it is due, when it rang last, and how often it rang.</summary>
public sealed record AlarmState(DateTimeOffset? SetAt = null, DateTimeOffset? DueAt = null, DateTimeOffset? RangAt = null, int Rings = 0);
