using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Tests.TestServers;

/// <summary>A test-only GenServer whose call both changes the state and replies: <c>add</c> returns the new total; <c>total</c> reads it.</summary>
[Offer]
public sealed class Tally(TimeProvider time, ILogger<Tally> logger) : GenServer<TallyState>(time, logger)
{
    public long Add([Range(1, 1_000_000)] long amount)
    {
        State = State with { Total = State.Total + amount };
        return State.Total;
    }

    [ReadOnly]
    public long Total() => State.Total;

    /// <summary>Breaks the read-only promise: it must fail wherever it runs, and change nothing.</summary>
    [ReadOnly]
    public long Sneak()
    {
        State = State with { Total = State.Total + 1 };
        return State.Total;
    }

    protected override TallyState Init() => new();
}

public sealed record TallyState(long Total = 0);
