using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.Counting;

namespace ServerlessGenServer.Benchmarks.Floors;

/// <summary>
/// The counter as a bare durabletask-dotnet <see cref="TaskEntity{TState}"/>, without the GenServer base: the
/// difference to <see cref="Counter"/> is what the GenServer layer (operation table, input validation) costs.
/// </summary>
public sealed class PlainCounter : TaskEntity<CounterState>
{
    public void Increment(long amount = 1) => State = State with { Value = checked(State.Value + amount) };

    public long Value() => State.Value;

    protected override CounterState InitializeState(TaskEntityOperation entityOperation) => new();
}

/// <summary>
/// The counter on <see cref="ITaskEntity"/> with a hand-written switch instead of durabletask-dotnet's reflection
/// dispatch (GetMethod + MethodInfo.Invoke per operation). It still sets the state after every operation, as the
/// shim requires: this is the floor for any entity on the isolated worker's path.
/// </summary>
public sealed class SwitchCounter : ITaskEntity
{
    public ValueTask<object?> RunAsync(TaskEntityOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var state = operation.State.GetState(typeof(CounterState)) as CounterState ?? new CounterState();
        if (operation.Name.Equals("increment", StringComparison.OrdinalIgnoreCase))
        {
            var amount = operation.HasInput ? operation.GetInput<long>() : 1;
            ArgumentOutOfRangeException.ThrowIfLessThan(amount, 1);
            operation.State.SetState(state with { Value = checked(state.Value + amount) });
            return default;
        }

        if (operation.Name.Equals("value", StringComparison.OrdinalIgnoreCase))
        {
            return new ValueTask<object?>(state.Value);
        }

        throw new NotSupportedException($"No operation '{operation.Name}'.");
    }
}
