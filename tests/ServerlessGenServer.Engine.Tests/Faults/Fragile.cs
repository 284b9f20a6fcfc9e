using System.ComponentModel.DataAnnotations;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// A test-only GenServer whose <c>addThenFail</c> changes its state, signals a witness counter and itself, and then
/// throws. <c>relay</c> sends the same two kinds of signal and succeeds. The witness is <c>counter@{same key}</c>.
/// </summary>
[Offer]
public sealed class Fragile(TimeProvider time, ILogger<Fragile> logger) : GenServer<FragileState>(time, logger)
{
    public const long LeakedWitnessAmount = 1_000;
    public const long LeakedSelfAmount = 10_000;

    public void Add([Range(1, 1_000_000)] long amount) => State = State with { Total = State.Total + amount, Adds = State.Adds + 1 };

    /// <summary>Everything an operation can do, then a throw: none of it may survive.</summary>
    public void AddThenFail([Range(1, 1_000_000)] long amount)
    {
        State = State with { Total = State.Total + amount, Adds = State.Adds + 1 };
        Context.SignalEntity(Witness, "increment", LeakedWitnessAmount);
        Context.SignalEntity(Context.Id, nameof(Add), LeakedSelfAmount);
        throw new InvalidOperationException($"{amount} was not added after all.");
    }

    /// <summary>The marker: signals the witness and itself with <paramref name="amount"/>, after any earlier signal of this entity.</summary>
    public void Relay([Range(1, 1_000)] long amount)
    {
        Context.SignalEntity(Witness, "increment", amount);
        Context.SignalEntity(Context.Id, nameof(Add), amount);
    }

    public FragileState Read() => State;

    protected override FragileState Init() => new();

    private EntityInstanceId Witness => new("counter", Context.Id.Key);
}

/// <summary>The sum of the adds that stuck, and how many there were.</summary>
public sealed record FragileState(long Total = 0, int Adds = 0);
