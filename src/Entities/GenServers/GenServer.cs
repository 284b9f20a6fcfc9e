using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// A GenServer on a durable entity: one serialized mailbox per entity id. A server writes <see cref="Init"/>, its
/// operations, and optionally <see cref="CodeChange"/> and <see cref="OnStop"/>; it calls the primitives below.
/// Public methods are its messages: one that returns a value is a call (handle_call), a <c>void</c> one a cast
/// (handle_cast). Methods marked <see cref="HandleInfoAttribute"/> are messages the server or its timers send it.
/// </summary>
/// <remarks>
/// The lifecycle: a client message to a server with no state starts it (<see cref="Init"/>); any other message to it
/// (a timer, a self-message) is dropped, so nothing comes back after a delete. Unknown operations are the handle_info
/// catch-all: logged, nothing changed. State is saved only when the operation succeeded; a failure rolls back the
/// state, the timers, the ledger and the messages sent (the entity runtime's transaction).
/// </remarks>
public abstract partial class GenServer<TState> : ITaskEntity
    where TState : class
{
    private const string IdleTimer = "$idle";
    private const string StopOperation = "$stop";

    private TaskEntityOperation _operation = null!;
    private GenServerEnvelope? _envelope;
    private bool _stopping;
    private string? _readingOnly;

    protected GenServer(TimeProvider time, ILogger logger)
    {
        Time = time;
        Logger = logger;
    }

    /// <summary>The only clock a GenServer reads.</summary>
    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>The server's state, loaded for the operation running; replace it or edit it in place.</summary>
    protected TState State { get; set; } = null!;

    protected TaskEntityContext Context { get; private set; } = null!;

    /// <summary>The version of <typeparamref name="TState"/>'s shape. Raise it when the shape changes, and upgrade in <see cref="CodeChange"/>.</summary>
    protected virtual int StateVersion => 1;

    /// <summary>Deletes the server after this long without a client message (null: never). Timers and self-messages do not count.</summary>
    protected virtual TimeSpan? StopAfterIdle => null;

    private GenServerOperations Operations => GenServerOperations.For(GetType());

    async ValueTask<object?> ITaskEntity.RunAsync(TaskEntityOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        (_operation, Context, _envelope, _stopping, _readingOnly, State) = (operation, operation.Context, null, false, null, null!);
        (_mayDefer, _deferred) = (false, null);
        var name = operation.Name;
        if (string.Equals(name, OnceMessage.OperationName, StringComparison.OrdinalIgnoreCase))
        {
            return await RunOnceAsync();
        }

        if (string.Equals(name, GenServerTimer.FiringOperation, StringComparison.OrdinalIgnoreCase))
        {
            await RunTimerAsync();
            return null;
        }

        if (string.Equals(name, TaskResult.OperationName, StringComparison.OrdinalIgnoreCase))
        {
            await RunTaskResultAsync();
            return null;
        }

        if (string.Equals(name, DeferredReply.AwaitOperation, StringComparison.OrdinalIgnoreCase))
        {
            return RunAwait();
        }

        if (!Operations.TryResolve(name, out var known))
        {
            if (GenServerOperations.IsImplicit(name))
            {
                Delete();
            }
            else
            {
                LogUnexpectedMessage(Logger, Context.Id, name);
            }

            return null;
        }

        var input = operation.HasInput && known.InputType is not null ? operation.GetInput(known.InputType) : null;
        if (known.HasValidation)
        {
            known.Validate(input);
        }

        if (!Load(start: !known.IsInfo))
        {
            LogDroppedForDeadServer(Logger, Context.Id, name);
            return null;
        }

        _mayDefer = known.Kind == OperationKind.Call;
        var reply = await InvokeAsync(known, input);
        _mayDefer = false;
        Save();
        return _deferred is null ? reply : AsDeferral(_deferred);
    }

    /// <summary>init/1: the state of a server that starts. Keep it fast; schedule slow work with <see cref="Continue"/>.</summary>
    protected abstract TState Init();

    /// <summary>
    /// code_change/3: the state as stored by an older <paramref name="fromVersion"/> (0 is the format before versions),
    /// in the current shape. Runs on first load; the result is saved in <see cref="StateVersion"/>. By default the
    /// stored JSON is read as the current type, which is right only when the shape did not change.
    /// </summary>
    protected virtual TState CodeChange(int fromVersion, JsonElement state) =>
        state.Deserialize<TState>(GenServerJson.Options) ?? throw new JsonException("The stored state is null.");

    /// <summary>terminate/2: runs before the state is deleted (by <c>delete</c>, <see cref="StopServer"/> or the idle stop).</summary>
    protected virtual void OnStop()
    {
    }

    /// <summary>{:stop, ...}: deletes the server's state, timers and ledger when this operation succeeds.</summary>
    protected void StopServer()
    {
        EnsureWritable("stopped the server");
        _stopping = true;
    }

    /// <summary>handle_continue: an immediate self-message, so that init returns at once and the slow part runs next.</summary>
    protected void Continue(string operation, object? input = null) =>
        Context.SignalEntity(Context.Id, operation, input);

    /// <summary>Process.send_after: a self-message delivered after <paramref name="delay"/>. Prefer a timer, which can be cancelled.</summary>
    protected void SendAfter(TimeSpan delay, string operation, object? input = null) =>
        Context.SignalEntity(Context.Id, operation, input, new SignalEntityOptions { SignalTime = Now + delay });

    /// <summary>
    /// erlang:start_timer: delivers <paramref name="operation"/> once after <paramref name="delay"/>. A timer of the
    /// same name is replaced (its firing in flight no longer counts).
    /// </summary>
    protected void StartTimer(string name, TimeSpan delay, string operation, object? input = null) =>
        Arm(name, new GenServerTimer(NewGeneration(), Now + delay, operation, ToJson(input)));

    /// <summary>
    /// A periodic timer with send_after semantics: the first firing one period from now (or at <paramref name="firstAt"/>),
    /// each next one a period after the awaited due time, or after a late firing, so missed periods are not made up.
    /// </summary>
    protected void StartPeriodicTimer(string name, TimeSpan period, string operation, object? input = null, DateTimeOffset? firstAt = null)
    {
        if (period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, "A period must be positive.");
        }

        Arm(name, new GenServerTimer(NewGeneration(), firstAt ?? Now + period, operation, ToJson(input), (long)period.TotalMilliseconds));
    }

    /// <summary>erlang:cancel_timer: the timer's firing in flight will do nothing. Returns whether a timer was armed.</summary>
    protected bool CancelTimer(string name)
    {
        EnsureWritable($"cancelled timer '{name}'");
        return Envelope.Timers?.Remove(name) ?? false;
    }

    /// <summary>When the named timer fires next, or null when it is not armed.</summary>
    protected DateTimeOffset? TimerDue(string name) =>
        Envelope.Timers is { } timers && timers.TryGetValue(name, out var timer) ? timer.Due : null;

    private GenServerEnvelope Envelope => _envelope ?? throw new InvalidOperationException("The server's state is not loaded.");

    // A [ReadOnly] call runs with the writing primitives refused and its state compared before and after, wherever it
    // runs (in the entity or on a client's copy), so a broken promise fails the call instead of going unnoticed.
    private async ValueTask<object?> InvokeAsync(GenServerOperation operation, object? input)
    {
        if (!operation.IsReadOnly)
        {
            return await operation.InvokeAsync(this, Context, input);
        }

        var before = JsonSerializer.SerializeToUtf8Bytes(State, GenServerJson.Options);
        var context = Context;
        (Context, _readingOnly) = (new ReadOnlyContext(context, operation.Name), operation.Name);
        object? reply;
        try
        {
            reply = await operation.InvokeAsync(this, Context, input);
        }
        finally
        {
            (Context, _readingOnly) = (context, null);
        }

        if (!before.AsSpan().SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(State, GenServerJson.Options)))
        {
            throw ReadOnlyContext.Violation(Context.Id, operation.Name, "changed the state");
        }

        return reply;
    }

    private void EnsureWritable(string what)
    {
        if (_readingOnly is { } operation)
        {
            throw ReadOnlyContext.Violation(Context.Id, operation, what);
        }
    }

    // Reads the envelope and the state in it (upgrading it), or starts the server when a client message finds none.
    // Returns false when there is no state and the message may not start one.
    private bool Load(bool start)
    {
        GenServerEnvelope? envelope;
        try
        {
            envelope = _operation.State.GetState(typeof(GenServerEnvelope)) as GenServerEnvelope;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Unreadable(ex);
        }

        if (envelope is null)
        {
            if (!start)
            {
                return false;
            }

            _envelope = new GenServerEnvelope { Version = StateVersion };
            State = Init();
        }
        else
        {
            _envelope = envelope;
            State = Materialize(envelope);
        }

        if (start && StopAfterIdle is { } idle)
        {
            PostponeIdleStop(idle);
        }

        return true;
    }

    private TState Materialize(GenServerEnvelope envelope)
    {
        if (envelope.State is TState loaded)
        {
            return loaded;
        }

        if (envelope.Version > StateVersion)
        {
            LogNewerState(Logger, Context.Id, envelope.Version, StateVersion);
            throw new GenServerStateException(
                $"{Context.Id} has state of version {envelope.Version}; this code knows versions up to {StateVersion}. " +
                "The state is refused and left unchanged.");
        }

        var stored = envelope.Stored ?? throw Unreadable(new JsonException("The envelope has no state."));
        TState state;
        try
        {
            state = envelope.Version == StateVersion
                ? stored.Deserialize<TState>(GenServerJson.Options) ?? throw new JsonException("The stored state is null.")
                : CodeChange(envelope.Version, stored);
        }
        catch (Exception ex) when (ex is not GenServerStateException)
        {
            throw Unreadable(ex);
        }

        if (envelope.Version != StateVersion)
        {
            LogUpgraded(Logger, Context.Id, envelope.Version, StateVersion);
        }

        (envelope.Version, envelope.State, envelope.Stored) = (StateVersion, state, null);
        return state;
    }

    private GenServerStateException Unreadable(Exception cause)
    {
        LogUnreadableState(Logger, cause, Context.Id);
        return new GenServerStateException($"{Context.Id} has state this code cannot read (a server fault): {cause.Message}", cause);
    }

    // Commits the operation's outcome: the envelope with the new state, or nothing at all when the server stopped.
    private void Save()
    {
        if (_stopping || State is null)
        {
            OnStop();
            ReleaseWaitingCallers();
            _operation.State.SetState(null);
            return;
        }

        Envelope.State = State;
        _operation.State.SetState(Envelope);
    }

    // delete works whatever the state is: an unreadable or too new state is deleted without OnStop.
    private void Delete()
    {
        try
        {
            if (!Load(start: false))
            {
                return;
            }
        }
        catch (GenServerStateException)
        {
            _operation.State.SetState(null);
            return;
        }

        StopServer();
        Save();
    }

    private async Task RunTimerAsync()
    {
        var firing = _operation.HasInput ? _operation.GetInput<TimerFiring>() : null;
        if (firing is null || !Load(start: false))
        {
            LogDroppedForDeadServer(Logger, Context.Id, GenServerTimer.FiringOperation);
            return;
        }

        if (Envelope.Timers is not { } timers || !timers.TryGetValue(firing.Name, out var timer) || timer.Generation != firing.Generation)
        {
            LogStaleFiring(Logger, Context.Id, firing.Name, firing.Generation);
            return;
        }

        var now = Now;
        if (now < timer.Due - GenServerTimer.EarlyTolerance)
        {
            // A hop of a long timer, an early signal, or a due time moved later: wait for the time left.
            Signal(firing.Name, timer);
            return;
        }

        // The next arming is in place before the handler runs, so the handler may cancel or restart it; its signal is
        // sent after, and only if the handler left it armed.
        var next = timer.PeriodMs is null ? null : timer with { Generation = NewGeneration(), Due = timer.NextDue(now) };
        if (next is null)
        {
            timers.Remove(firing.Name);
        }
        else
        {
            timers[firing.Name] = next;
        }

        if (timer.Operation == StopOperation)
        {
            if (StopAfterIdle is null)
            {
                Save();
                return;
            }

            LogIdleStop(Logger, Context.Id);
            StopServer();
        }
        else if (Operations.TryResolve(timer.Operation, out var known))
        {
            var input = timer.Input is { } json && known.InputType is not null ? json.Deserialize(known.InputType, GenServerJson.Options) : null;
            await InvokeAsync(known, input);
        }
        else
        {
            LogUnexpectedMessage(Logger, Context.Id, timer.Operation);
        }

        if (next is not null && Envelope.Timers is { } after && after.TryGetValue(firing.Name, out var armed) && armed == next)
        {
            Signal(firing.Name, next);
        }

        Save();
    }

    // The idle stop is a timer whose due time each client message moves; its one firing in flight re-arms for the time
    // left, so a busy server sends one signal per idle interval, not one per message.
    private void PostponeIdleStop(TimeSpan idle)
    {
        var timers = Envelope.Timers ??= [];
        if (timers.TryGetValue(IdleTimer, out var armed))
        {
            timers[IdleTimer] = armed with { Due = Now + idle };
            return;
        }

        Arm(IdleTimer, new GenServerTimer(NewGeneration(), Now + idle, StopOperation));
    }

    private void Arm(string name, GenServerTimer timer)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        EnsureWritable($"armed timer '{name}'");
        var timers = Envelope.Timers ??= [];
        if (!timers.ContainsKey(name) && timers.Count >= GenServerTimer.MaxTimers)
        {
            throw new InvalidOperationException($"{Context.Id} has {GenServerTimer.MaxTimers} timers armed, the most a server may have.");
        }

        timers[name] = timer;
        Signal(name, timer);
    }

    private void Signal(string name, GenServerTimer timer)
    {
        var left = timer.Due - Now;
        var delay = left < GenServerTimer.MaxSignalDelay ? left : GenServerTimer.MaxSignalDelay;
        Context.SignalEntity(Context.Id, GenServerTimer.FiringOperation, new TimerFiring(name, timer.Generation),
            new SignalEntityOptions { SignalTime = Now + (delay > TimeSpan.Zero ? delay : TimeSpan.Zero) });
    }

    private static long NewGeneration() => BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));

    private static JsonElement? ToJson(object? input) =>
        input is null ? null : JsonSerializer.SerializeToElement(input, input.GetType(), GenServerJson.Options);

    // $once: reply from the ledger when the key was applied within its window; else run the real operation and record
    // it in the same operation. If the operation throws, the runtime rolls everything back, the record included.
    private async Task<object?> RunOnceAsync()
    {
        var message = _operation.HasInput ? _operation.GetInput<OnceMessage>() : null;
        if (message is null)
        {
            throw new ValidationException($"{OnceMessage.OperationName} needs an input {{key, operation, input?, windowMs}}.");
        }

        message.Validate();
        var known = Operations.TryResolve(message.Operation, out var real);
        if (real is { IsInfo: true } || (!known && IsReserved(message.Operation)))
        {
            throw new ValidationException($"'{message.Operation}' cannot be sent with an idempotency key.");
        }

        if (real is null)
        {
            // The handle_info catch-all, as without a key: logged, nothing run, nothing recorded.
            LogUnexpectedMessage(Logger, Context.Id, message.Operation);
            return null;
        }

        var hasInput = message.Input is { ValueKind: not JsonValueKind.Null };
        var input = hasInput && real.InputType is not null ? message.Input!.Value.Deserialize(real.InputType, GenServerJson.Options) : null;
        if (real.HasValidation)
        {
            real.Validate(input);
        }

        Load(start: true);
        var nowMs = Now.ToUnixTimeMilliseconds();
        if (OnceLedger.Find(Envelope.Once, message.Key, nowMs) is { } applied)
        {
            return Repeat(message, applied);
        }

        if (Envelope.Seen?.Contains(message.Key, nowMs) == true)
        {
            return RepeatWithoutRecord(message, real);
        }

        var reply = await InvokeAsync(real, input);
        if (_stopping || State is null)
        {
            // The operation stopped the server: the ledger goes with it.
            Save();
            return reply;
        }

        var entry = OnceLedger.Applied(message, reply, nowMs);
        Envelope.Once = OnceLedger.Record(Envelope.Once, entry, nowMs);
        (Envelope.Seen ??= new()).Add(message.Key, nowMs, message.WindowMs);
        Save();
        if (entry.ReplyDropped)
        {
            LogReplyNotKept(Logger, Context.Id, message.Operation, OnceLedger.MaxReplyChars);
        }

        return entry.Reply ?? reply;
    }

    private JsonElement? Repeat(OnceMessage message, OnceEntry applied)
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

        LogRepeated(Logger, Context.Id, message.Operation);
        return applied.Reply;
    }

    // A key within its window whose full record newer keys have pushed out: applied, and its reply is gone. A cast has
    // nothing to answer; a call is refused as already applied (410), as when its reply was too large to keep.
    private object? RepeatWithoutRecord(OnceMessage message, GenServerOperation operation)
    {
        if (operation.Kind == OperationKind.Cast)
        {
            LogRepeated(Logger, Context.Id, message.Operation);
            return null;
        }

        throw new AlreadyAppliedException(
            $"'{message.Operation}' was applied already with this idempotency key; its reply is no longer kept.");
    }

    // Unknown operations go to the catch-all, except the runtime's own: delete stops the server and takes the ledger
    // with it, so it is not offered with a key; $once does not nest; timer firings come only from the runtime.
    private static bool IsReserved(string operation) =>
        GenServerOperations.IsImplicit(operation) || operation.StartsWith('$');

    [LoggerMessage(Level = LogLevel.Debug, Message = "GenServer {EntityId} repeated the recorded reply of '{Operation}' for a known idempotency key")]
    private static partial void LogRepeated(ILogger logger, EntityInstanceId entityId, string operation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} did not keep the reply of '{Operation}': it is over {MaxChars} characters, so a repeat is refused as already applied")]
    private static partial void LogReplyNotKept(ILogger logger, EntityInstanceId entityId, string operation, int maxChars);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} ignored unexpected message '{Operation}'")]
    private static partial void LogUnexpectedMessage(ILogger logger, EntityInstanceId entityId, string operation);

    [LoggerMessage(Level = LogLevel.Debug, Message = "GenServer {EntityId} has no state: dropped '{Operation}', which may not start it")]
    private static partial void LogDroppedForDeadServer(ILogger logger, EntityInstanceId entityId, string operation);

    [LoggerMessage(Level = LogLevel.Debug, Message = "GenServer {EntityId} ignored a stale firing of timer '{Timer}' (generation {Generation})")]
    private static partial void LogStaleFiring(ILogger logger, EntityInstanceId entityId, string timer, long generation);

    [LoggerMessage(Level = LogLevel.Error, Message = "GenServer {EntityId} refused its state: written by version {StoredVersion}, this code knows up to {KnownVersion}; nothing was changed")]
    private static partial void LogNewerState(ILogger logger, EntityInstanceId entityId, int storedVersion, int knownVersion);

    [LoggerMessage(Level = LogLevel.Error, Message = "GenServer {EntityId} cannot read its state; the operation fails and nothing is changed (delete still works)")]
    private static partial void LogUnreadableState(ILogger logger, Exception exception, EntityInstanceId entityId);

    [LoggerMessage(Level = LogLevel.Information, Message = "GenServer {EntityId} upgraded its state from version {FromVersion} to {ToVersion}")]
    private static partial void LogUpgraded(ILogger logger, EntityInstanceId entityId, int fromVersion, int toVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "GenServer {EntityId} stopped after its idle interval")]
    private static partial void LogIdleStop(ILogger logger, EntityInstanceId entityId);
}
