using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>The context a <see cref="ReadOnlyAttribute"/> call runs with: it knows its id and refuses to send anything.</summary>
internal sealed class ReadOnlyContext(TaskEntityContext inner, string operation) : TaskEntityContext
{
    public override EntityInstanceId Id => inner.Id;

    public override void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null) =>
        throw Violation(Id, operation, $"sent '{operationName}' to {id}");

    public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null) =>
        throw Violation(Id, operation, $"started orchestration '{name.Name}'");

    public static ReadOnlyViolationException Violation(EntityInstanceId id, string operation, string what) => new(
        $"{id} '{operation}' is [ReadOnly] but {what}: a read-only operation may not change the state, its timers, or send messages.");
}
