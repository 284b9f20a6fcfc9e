using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// A GenServer on a durable entity: one serialized mailbox per entity id, state persisted after every operation.
/// Public methods of a subclass are its messages: a method that returns a value is a call (handle_call),
/// a <c>void</c> method is a cast (handle_cast). Methods marked <see cref="HandleInfoAttribute"/> are messages
/// the server sends itself (or timers send it) and are not reachable through the client API.
/// </summary>
/// <remarks>
/// Unknown operations are the handle_info catch-all: logged as a warning, state untouched, the batch not failed.
/// </remarks>
public abstract partial class GenServer<TState> : TaskEntity<TState>, ITaskEntity
{
    protected GenServer(TimeProvider time, ILogger logger)
    {
        Time = time;
        Logger = logger;
    }

    /// <summary>The only clock a GenServer reads.</summary>
    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected DateTimeOffset Now => Time.GetUtcNow();

    ValueTask<object?> ITaskEntity.RunAsync(TaskEntityOperation operation)
    {
        var operations = GenServerOperations.For(GetType());
        if (operations.TryGet(operation.Name, out var known))
        {
            if (known.HasValidation)
            {
                known.Validate(operation.HasInput ? operation.GetInput(known.InputType!) : null);
            }
        }
        else if (!GenServerOperations.IsImplicit(operation.Name))
        {
            LogUnexpectedMessage(Logger, operation.Context.Id.ToString(), operation.Name);
            return default;
        }

        return RunAsync(operation);
    }

    /// <summary>init/1: the initial state. Keep it fast; schedule slow work with <see cref="Continue"/>.</summary>
    protected virtual TState Init() => base.InitializeState(null!);

    protected sealed override TState InitializeState(TaskEntityOperation entityOperation) => Init();

    /// <summary>handle_continue: an immediate self-message, so that init returns at once and the slow part runs next.</summary>
    protected void Continue(string operation, object? input = null) =>
        Context.SignalEntity(Context.Id, operation, input);

    /// <summary>Process.send_after: a self-message delivered after <paramref name="delay"/>.</summary>
    protected void SendAfter(TimeSpan delay, string operation, object? input = null) =>
        Context.SignalEntity(Context.Id, operation, input, new SignalEntityOptions { SignalTime = Now + delay });

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} ignored unexpected message '{Operation}'")]
    private static partial void LogUnexpectedMessage(ILogger logger, string entityId, string operation);
}
