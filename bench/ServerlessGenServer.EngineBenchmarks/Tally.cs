using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>A benchmark-only GenServer whose call changes the state and replies: <c>add</c> returns the new total.</summary>
public sealed class Tally(TimeProvider time, ILogger<Tally> logger) : GenServer<TallyState>(time, logger)
{
    public long Add([Range(1, 1_000_000)] long amount)
    {
        State = State with { Total = State.Total + amount };
        return State.Total;
    }

    protected override TallyState Init() => new();
}

public sealed record TallyState(long Total = 0);
