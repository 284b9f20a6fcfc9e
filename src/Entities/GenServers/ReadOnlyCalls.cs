using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// Answers a <see cref="ReadOnlyAttribute"/> call outside the entity: the server runs the operation through its usual
/// dispatch on a copy of the state last saved, and whatever it would save or send is dropped. No state is created for
/// a server that never started: it answers from its <c>Init()</c> state, which is not saved.
/// </summary>
public static class ReadOnlyCalls
{
    /// <param name="server">A fresh instance of the server's class, as the entity runtime would create for a batch.</param>
    /// <param name="persisted">The entity's persisted state (the runtime's envelope), or null when it has none.</param>
    /// <param name="input">The operation's input, already read as its input type.</param>
    /// <exception cref="GenServerStateException">The saved state is newer than the code, or unreadable: a server fault.</exception>
    /// <exception cref="ReadOnlyViolationException">The operation broke its read-only promise: a server fault.</exception>
    public static async ValueTask<object?> AnswerAsync(
        ITaskEntity server, EntityInstanceId id, GenServerOperation operation, string? persisted, object? input)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(operation);
        if (!operation.IsReadOnly)
        {
            throw new ArgumentException($"'{operation.Name}' is not [ReadOnly]: it must run in the entity.", nameof(operation));
        }

        return await server.RunAsync(new CopyOperation(new CopyContext(id), operation.Name, new CopyState(persisted), input));
    }

    private sealed class CopyOperation(TaskEntityContext context, string name, TaskEntityState state, object? input) : TaskEntityOperation
    {
        public override string Name => name;

        public override TaskEntityContext Context => context;

        public override TaskEntityState State => state;

        public override bool HasInput => input is not null;

        public override object? GetInput(Type inputType) => input;
    }

    // The copy: read from the saved JSON on every load, and never written back.
    private sealed class CopyState(string? persisted) : TaskEntityState
    {
        public override bool HasState => persisted is not null;

        public override object? GetState(Type type) =>
            persisted is null ? null : JsonSerializer.Deserialize(persisted, type, GenServerJson.Options);

        public override void SetState(object? state)
        {
        }
    }

    // What Init, CodeChange or the idle stop send while loading the copy belongs to the entity's own next run: dropped.
    // The operation itself cannot send: it runs with ReadOnlyContext in front of this one.
    private sealed class CopyContext(EntityInstanceId id) : TaskEntityContext
    {
        public override EntityInstanceId Id => id;

        public override void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null)
        {
        }

        public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null) =>
            string.Empty;
    }
}
