using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers.Idempotency;

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
    where TState : GenServerState
{
    private GenServerOperations? _operations;
    private ReadOperation? _read;

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
        if (string.Equals(operation.Name, OnceMessage.OperationName, StringComparison.OrdinalIgnoreCase))
        {
            return RunOnceAsync(operation);
        }

        if (Operations.TryGet(operation.Name, out var known))
        {
            if (!operation.HasInput || known.InputType is null)
            {
                return RunKnownAsync(known, operation, input: null);
            }

            var input = operation.GetInput(known.InputType);
            return RunKnownAsync(known, Read(operation, operation.Name, hasInput: true, input), input);
        }

        if (GenServerOperations.IsImplicit(operation.Name))
        {
            return RunKeepingLedgerAsync(operation);
        }

        LogUnexpectedMessage(Logger, operation.Context.Id.ToString(), operation.Name);
        return default;
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

    // This server's messages, looked up once per server instance (an instance runs one batch).
    private GenServerOperations Operations => _operations ??= GenServerOperations.For(GetType());

    // A message this server declares, its input already read (null when it has none): validated, then run. When the
    // operation carries an input it is a ReadOperation, so TaskEntity's dispatch gets that input without reading it again.
    private ValueTask<object?> RunKnownAsync(GenServerOperation known, TaskEntityOperation operation, object? input)
    {
        if (known.HasValidation)
        {
            known.Validate(input);
        }

        return RunKeepingLedgerAsync(operation);
    }

    private ReadOperation Read(TaskEntityOperation outer, string name, bool hasInput, object? input) =>
        (_read ??= new ReadOperation()).Of(outer, name, hasInput, input);

    // TaskEntity's dispatch; then the ledger is put back if the operation replaced the whole state and so dropped it.
    private async ValueTask<object?> RunKeepingLedgerAsync(TaskEntityOperation operation)
    {
        var ledger = (operation.State.GetState(typeof(TState)) as TState)?.Once;
        var result = await RunAsync(operation);
        if (ledger is not null && State is { Once: null } replaced && operation.State.HasState)
        {
            replaced.Once = ledger;
            operation.State.SetState(replaced);
        }

        return result;
    }

    // $once: reply from the ledger when the key was applied within its window; else run the real operation through the
    // normal path and record it. If the operation throws, the runtime rolls everything back, the record included.
    private async ValueTask<object?> RunOnceAsync(TaskEntityOperation operation)
    {
        var message = operation.HasInput ? operation.GetInput<OnceMessage>() : null;
        if (message is null)
        {
            throw new ValidationException($"{OnceMessage.OperationName} needs an input {{key, operation, input?, windowMs}}.");
        }

        message.Validate();
        var known = Operations.TryGet(message.Operation, out var real);
        if (real is { IsInfo: true } || (!known && IsReserved(message.Operation)))
        {
            throw new ValidationException($"'{message.Operation}' cannot be sent with an idempotency key.");
        }

        if (real is null)
        {
            // The handle_info catch-all, as without a key: logged, nothing run, nothing recorded.
            LogUnexpectedMessage(Logger, operation.Context.Id.ToString(), message.Operation);
            return null;
        }

        var nowMs = Now.ToUnixTimeMilliseconds();
        var current = operation.State.GetState(typeof(TState)) as TState;
        if (OnceLedger.Find(current?.Once, message.Key, nowMs) is { } applied)
        {
            return Repeat(operation.Context.Id, message, applied);
        }

        var hasInput = message.Input is { ValueKind: not JsonValueKind.Null };
        var input = hasInput && real.InputType is not null ? message.Input!.Value.Deserialize(real.InputType, GenServerJson.Options) : null;
        var reply = await RunKnownAsync(real, Read(operation, message.Operation, hasInput, input), input);
        if (State is null || !operation.State.HasState)
        {
            // The operation stopped the server (deleted its state): the ledger went with it.
            return reply;
        }

        var entry = OnceLedger.Applied(message, reply, nowMs);
        State.Once = OnceLedger.Record(State.Once, entry, nowMs);
        operation.State.SetState(State);
        if (entry.ReplyDropped)
        {
            LogReplyNotKept(Logger, operation.Context.Id.ToString(), message.Operation, OnceLedger.MaxReplyChars);
        }

        return entry.Reply ?? reply;
    }

    private JsonElement? Repeat(EntityInstanceId id, OnceMessage message, OnceEntry applied)
    {
        if (applied.Fingerprint != OnceLedger.Fingerprint(message))
        {
            throw new IdempotencyKeyReusedException(
                "The idempotency key was used within its window for another operation or input; use a new key for a new request.");
        }

        if (applied.ReplyDropped)
        {
            throw new AlreadyAppliedException(
                $"'{message.Operation}' was applied already with this idempotency key; its reply was too large to keep.");
        }

        LogRepeated(Logger, id, message.Operation);
        return applied.Reply;
    }

    // Unknown operations go to the catch-all, except these: delete stops the server and takes the ledger with it, so it
    // is not offered with a key; $once does not nest.
    private static bool IsReserved(string operation) =>
        GenServerOperations.IsImplicit(operation) ||
        string.Equals(operation, OnceMessage.OperationName, StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Debug, Message = "GenServer {EntityId} repeated the recorded reply of '{Operation}' for a known idempotency key")]
    private static partial void LogRepeated(ILogger logger, EntityInstanceId entityId, string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} did not keep the reply of '{Operation}': it is over {MaxChars} characters, so a repeat is refused as already applied")]
    private static partial void LogReplyNotKept(ILogger logger, string entityId, string operation, int maxChars);

    /// <summary>
    /// An operation as the base hands it to TaskEntity's dispatch: the outer operation's context and state, with the
    /// name and the input of the message to run (the operation's own, or the one inside a <c>$once</c>). The input was
    /// read once, as the message's input type, so the dispatch does not deserialize it again.
    /// </summary>
    /// <remarks>
    /// One per server instance, refilled for each operation: an instance runs its batch one operation at a time, and
    /// an operation is dispatched through at most one of these.
    /// </remarks>
    private sealed class ReadOperation : TaskEntityOperation
    {
        private TaskEntityOperation _outer = null!;
        private string _name = null!;
        private bool _hasInput;
        private object? _input;

        public override string Name => _name;

        public override TaskEntityContext Context => _outer.Context;

        public override TaskEntityState State => _outer.State;

        public override bool HasInput => _hasInput;

        public ReadOperation Of(TaskEntityOperation outer, string name, bool hasInput, object? input)
        {
            (_outer, _name, _hasInput, _input) = (outer, name, hasInput, input);
            return this;
        }

        public override object? GetInput(Type inputType) => _input;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} ignored unexpected message '{Operation}'")]
    private static partial void LogUnexpectedMessage(ILogger logger, string entityId, string operation);
}
