using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Entities.GenServers;

// Offloaded work (StartTask) and deferred replies (Defer / Reply): the two ways an operation answers without blocking.
public abstract partial class GenServer<TState>
{
    private bool _mayDefer;
    private DeferredReply? _deferred;

    /// <summary>The most tasks this server may have in flight; <see cref="StartTask{TWork}"/> past it fails the operation.</summary>
    protected virtual int MaxTasks => 4;

    /// <summary>How long a task may take, retries included; a result that comes later is dropped.</summary>
    protected virtual TimeSpan TaskTimeout => TimeSpan.FromMinutes(10);

    /// <summary>How the engine retries a task's work when it throws.</summary>
    protected virtual TaskRetry TaskRetry => new();

    /// <summary>The most calls this server may keep waiting for a deferred reply (at most <see cref="PendingReplies.Ceiling"/>).</summary>
    protected virtual int MaxPendingReplies => 32;

    /// <summary>How long a deferred call waits for its reply; then its caller gets a 504 and a late reply is dropped.</summary>
    protected virtual TimeSpan DeferredReplyTimeout => TimeSpan.FromMinutes(2);

    /// <summary>
    /// Starts <typeparamref name="TWork"/> on <paramref name="input"/> outside the entity and returns its task id at once.
    /// Its <see cref="TaskResult"/> (the value, or the error of its last attempt) comes later as the message
    /// <paramref name="replyTo"/>, an operation taking a <see cref="TaskResult"/>. Started only if this operation succeeds.
    /// </summary>
    /// <exception cref="TooManyTasksException"><see cref="MaxTasks"/> tasks are in flight.</exception>
    protected string StartTask<TWork>(object? input, string replyTo)
        where TWork : IGenServerWork
    {
        if (!Operations.TryResolve(replyTo, out var handler) || handler.InputType != typeof(TaskResult))
        {
            throw new ArgumentException($"'{replyTo}' is not an operation of {GetType().Name} that takes a {nameof(TaskResult)}.", nameof(replyTo));
        }

        var tasks = Envelope.Tasks ??= [];
        foreach (var late in tasks.Where(t => t.Value.Until <= Now).Select(t => t.Key).ToList())
        {
            LogTaskTimedOut(Logger, Context.Id, late, tasks[late].Work);
            tasks.Remove(late);
        }

        if (tasks.Count >= MaxTasks)
        {
            throw new TooManyTasksException($"The server has {tasks.Count} tasks in flight, the most it runs at once; retry later.");
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var work = GenServerWorks.NameOf(typeof(TWork));
        tasks[id] = new TaskInFlight(work, handler.Name, Now + TaskTimeout);
        Context.ScheduleNewOrchestration(nameof(GenServerTaskOrchestrator),
            new TaskOrder(Context.Id.Name, Context.Id.Key, id, new WorkItem(work, ToJson(input)), TaskRetry),
            new StartOrchestrationOptions(TaskOrder.InstancePrefix + id));
        return id;
    }

    /// <summary>The ids of the tasks in flight.</summary>
    protected IReadOnlyCollection<string> TasksInFlight => Envelope.Tasks?.Keys ?? (IReadOnlyCollection<string>)[];

    /// <summary>
    /// {:noreply, state} with the caller kept: this call answers later, from any operation, with <see cref="Reply"/> or
    /// <see cref="ReplyError"/> on the token returned (keep it in the state). What the operation returns is ignored.
    /// Only a call sent without an idempotency key may defer.
    /// </summary>
    /// <exception cref="TooManyPendingRepliesException"><see cref="MaxPendingReplies"/> calls wait already.</exception>
    protected ReplyToken Defer()
    {
        if (!_mayDefer)
        {
            throw new InvalidOperationException("Only a call (an operation that returns a value, sent without an idempotency key) can defer its reply.");
        }

        if (_deferred is { } twice)
        {
            return new ReplyToken(twice.Id);
        }

        var until = Now + DeferredReplyTimeout;
        var token = PendingReplies.Add(Envelope.Pending ??= [], Now, until, MaxPendingReplies);
        _deferred = new DeferredReply(token.Id, until);
        return token;
    }

    /// <summary>
    /// GenServer.reply/2: answers a deferred call with <paramref name="value"/>; its caller gets a 200 as from an ordinary
    /// call. Returns false when the token expired (its caller has its 504; the reply is dropped).
    /// </summary>
    /// <exception cref="InvalidOperationException">The token was answered already.</exception>
    protected bool Reply(ReplyToken token, object? value) => Answer(token, CallOutcome.Replied(ToJson(value)));

    /// <summary>Answers a deferred call with an error, as if the call had thrown <paramref name="error"/> (a <see cref="GenServerException"/> is a 422).</summary>
    protected bool ReplyError(ReplyToken token, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return Answer(token, CallOutcome.Failed(error.GetType().FullName!, error.Message));
    }

    private bool Answer(ReplyToken token, CallOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(token);
        var caller = PendingReplies.Answer(Envelope.Pending ??= [], token.Id, outcome, Now, out var expired);
        if (expired)
        {
            LogReplyExpired(Logger, Context.Id, token.Id);
            return false;
        }

        if (caller is not null)
        {
            Deliver(token.Id, caller, outcome);
        }

        return true;
    }

    private void Deliver(string id, ReplyAddress caller, CallOutcome outcome) =>
        Context.ScheduleNewOrchestration(nameof(ReplyOrchestrator), new ReplyDelivery(caller, outcome),
            new StartOrchestrationOptions(DeferredReply.DeliveryPrefix + id));

    // $await: the caller of a deferred call says where it waits; it is answered at once if the server answered already.
    private CallOutcome? RunAwait()
    {
        var message = _operation.HasInput ? _operation.GetInput<AwaitReply>() : null;
        if (message is null)
        {
            throw new InvalidOperationException($"{DeferredReply.AwaitOperation} needs an input {{id, to}}.");
        }

        if (!Load(start: false))
        {
            return PendingReplies.Expired(message.Id);
        }

        var outcome = PendingReplies.Await(Envelope.Pending ??= [], message.Id, message.Caller, Now);
        Save();
        return outcome;
    }

    // $task: a task's outcome goes to its replyTo once; a duplicate, a late one, or one for a deleted server is dropped.
    private async Task RunTaskResultAsync()
    {
        var result = _operation.HasInput ? _operation.GetInput<TaskResult>() : null;
        if (result is null || !Load(start: false))
        {
            LogDroppedForDeadServer(Logger, Context.Id, TaskResult.OperationName);
            return;
        }

        if (Envelope.Tasks is not { } tasks || !tasks.Remove(result.TaskId, out var task))
        {
            LogStaleTaskResult(Logger, Context.Id, result.TaskId);
            return;
        }

        if (Operations.TryResolve(task.ReplyTo, out var handler))
        {
            await handler.InvokeAsync(this, Context, result);
        }

        Save();
    }

    // A stopping server tells the callers still waiting, rather than leaving them to their deadline.
    private void ReleaseWaitingCallers()
    {
        foreach (var pending in Envelope.Pending ?? [])
        {
            if (pending.Caller is { } caller)
            {
                Deliver(pending.Id, caller, CallOutcome.Failed(typeof(GenServerException).FullName!, "The server stopped before it replied."));
            }
        }
    }

    private static JsonElement? AsDeferral(DeferredReply? deferred) =>
        deferred is null ? null : JsonSerializer.SerializeToElement(deferred, GenServerJson.Options);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} answered deferred call {Token} after its deadline; the reply was dropped")]
    private static partial void LogReplyExpired(ILogger logger, EntityInstanceId entityId, string token);

    [LoggerMessage(Level = LogLevel.Debug, Message = "GenServer {EntityId} dropped the result of task {TaskId}: no such task in flight")]
    private static partial void LogStaleTaskResult(ILogger logger, EntityInstanceId entityId, string taskId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GenServer {EntityId} gave up on task {TaskId} ({Work}): no result within its timeout")]
    private static partial void LogTaskTimedOut(ILogger logger, EntityInstanceId entityId, string taskId, string work);
}

/// <summary>A task was started while the server had as many in flight as it declares.</summary>
public sealed class TooManyTasksException : GenServerException
{
    public TooManyTasksException(string message)
        : base(message)
    {
    }
}
