using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.Support;

/// <summary>
/// The smallest in-memory stand-in for the entity runtime, to call a server's RunAsync directly:
/// state kept as an object, inputs as JSON text, signals recorded.
/// </summary>
internal sealed class FakeEntity(EntityInstanceId id)
{
    public FakeContext Context { get; } = new(id);

    public FakeState State { get; } = new();

    public async Task<object?> RunAsync(ITaskEntity entity, string operation, object? input = null) =>
        await entity.RunAsync(new FakeOperation(this, operation, input is null ? null : JsonSerializer.Serialize(input, GenServerJson.Options)));

    internal sealed class FakeOperation(FakeEntity owner, string name, string? input) : TaskEntityOperation
    {
        public override string Name => name;

        public override TaskEntityContext Context => owner.Context;

        public override TaskEntityState State => owner.State;

        public override bool HasInput => input is not null;

        public override object? GetInput(Type inputType) => JsonSerializer.Deserialize(input!, inputType, GenServerJson.Options);
    }
}

internal sealed class FakeState : TaskEntityState
{
    public object? Value { get; private set; }

    public override bool HasState => Value is not null;

    public override object? GetState(Type type) => Value;

    public override void SetState(object? state) => Value = state;

    /// <summary>The server's own state inside the runtime's envelope.</summary>
    public T? Server<T>() where T : class => (Value as GenServerEnvelope)?.State as T;

    /// <summary>The runtime's envelope, as kept.</summary>
    public GenServerEnvelope? Envelope => Value as GenServerEnvelope;
}

internal sealed class FakeContext(EntityInstanceId id) : TaskEntityContext
{
    public List<(EntityInstanceId Target, string Operation, object? Input, DateTimeOffset? At)> Signals { get; } = [];

    public override EntityInstanceId Id => id;

    public override void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null) =>
        Signals.Add((id, operationName, input, options?.SignalTime));

    public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null) =>
        throw new NotSupportedException("GenServers do not start orchestrations.");
}
