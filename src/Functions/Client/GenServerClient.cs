using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Functions.Client;

/// <summary>
/// GenServer.call and GenServer.cast for the app's functions. Calls made at the same time in one worker share call
/// orchestrations (see <see cref="CallBatcher"/>): each call waits for its own reply up to its own timeout, then goes
/// pending, its reply kept under its call id for <see cref="CallOptions.Retention"/> after it completed.
/// </summary>
/// <remarks>
/// A <see cref="ReadOnlyAttribute"/> call takes no orchestration: the client reads the entity's saved state once and runs
/// the operation on a copy of it (<see cref="ReadOnlyCalls"/>), when it has the app's <paramref name="services"/> to
/// create the server from; without them every call goes to the entity. Such a call sees the state after the entity's
/// last committed batch, not the messages still queued; it changes nothing, so an idempotency key has nothing to guard.
/// A cast or call with an idempotency key is sent as the reserved <c>$once</c> message, which carries the key, the real
/// operation and input, and the window from <see cref="IdempotencyOptions"/> (30 minutes unless configured).
/// </remarks>
public sealed partial class GenServerClient(
    TimeProvider time, ILogger<GenServerClient> logger, IOptions<IdempotencyOptions>? idempotency = null,
    IOptions<CallOptions>? calls = null, IServiceProvider? services = null)
{
    public const string CallIdPrefix = "call-";
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxCallTimeout = TimeSpan.FromSeconds(60);
    private static readonly OrchestrationRuntimeStatus[] Finished =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    private readonly long _windowMs = (idempotency?.Value ?? new IdempotencyOptions()).WindowMs;
    private readonly CallOptions _calls = calls?.Value ?? new CallOptions();
    private readonly ConcurrentDictionary<string, CallBatcher> _batchers = new(StringComparer.Ordinal);
    private readonly GenServerRegistry _registry = services?.GetService<GenServerRegistry>() ?? GenServerRegistry.Default;
    private readonly ConcurrentDictionary<Type, ObjectFactory> _servers = new();

    /// <summary>How long a pending call's reply stays readable after the call completed.</summary>
    public TimeSpan Retention => _calls.Retention;

    /// <summary>Calls an entity and waits up to <paramref name="timeout"/> for its reply.</summary>
    public async Task<CallResult> CallAsync(
        DurableTaskClient client, CallRequest request, TimeSpan timeout, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (services is not null && _registry.TryGet(request.Server, out var server) &&
            server.Operations.TryGet(request.Operation, out var operation) && operation.IsReadOnly)
        {
            return await ReadAsync(client, services, server, operation, request, cancellation);
        }

        if (request is { IdempotencyKey: not null, IdempotencyWindowMs: null })
        {
            request = request with { IdempotencyWindowMs = _windowMs };
        }

        // One batcher per task hub: the Functions host hands each invocation a new client wrapper over one named client.
        var call = new QueuedCall(request, client);
        _batchers.GetOrAdd(client.Name, _ => new CallBatcher(time, _calls, logger)).Enqueue(call);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var waited = await Task.WhenAny(call.Reply.Task, Task.Delay(timeout, time, stop.Token));
        await stop.CancelAsync();
        if (waited != call.Reply.Task)
        {
            if (call.TryAbandon())
            {
                cancellation.ThrowIfCancellationRequested();
                LogCallNotSent(logger, request.Server, request.Key, request.Operation, timeout.TotalMilliseconds);
                return CallResult.NotSent();
            }

            // A pending call's id must be readable: wait for its run to be scheduled (one storage write) before giving it out.
            await call.Scheduled.Task;
            if (call.TryGiveUp())
            {
                cancellation.ThrowIfCancellationRequested();
                LogCallTimedOut(logger, request.Server, request.Key, request.Operation, call.CallId!, timeout.TotalMilliseconds);
                return CallResult.Pending(call.CallId!);
            }
        }

        return await call.Reply.Task;
    }

    // One read of the saved state, the operation run on a copy in this worker: its reply, or its failure as the entity
    // would report it (a declared error answers 422, anything else, an unreadable or too new state included, is a fault).
    private async Task<CallResult> ReadAsync(
        DurableTaskClient client, IServiceProvider provider, GenServerDescriptor server, GenServerOperation operation, CallRequest request,
        CancellationToken cancellation)
    {
        var id = new EntityInstanceId(server.Name, request.Key);
        var entity = await client.Entities.GetEntityAsync(id, includeState: true, cancellation);
        var persisted = entity is { IncludesState: true } ? entity.State.Value : null;
        try
        {
            var input = request.Input is { ValueKind: not JsonValueKind.Null } json && operation.InputType is not null
                ? json.Deserialize(operation.InputType, GenServerJson.Options)
                : null;
            await using var scope = provider.CreateAsyncScope();
            var create = _servers.GetOrAdd(server.EntityType, static type => ActivatorUtilities.CreateFactory(type, []));
            var reply = await ReadOnlyCalls.AnswerAsync((ITaskEntity)create(scope.ServiceProvider, null), id, operation, persisted, input);
            return CallResult.Replied(string.Empty,
                reply is null ? null : JsonSerializer.SerializeToElement(reply, reply.GetType(), GenServerJson.Options));
        }
#pragma warning disable CA1031 // Whatever the server's code throws is the call's failure, as in the entity.
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
#pragma warning restore CA1031
        {
            LogReadFailed(logger, ex, server.Name, request.Key, operation.Name);
            return CallResult.Failure(string.Empty, ex.GetType().FullName!, ex.Message);
        }
    }

    /// <summary>
    /// The result of an earlier call (one that went pending): pending while it runs, then its reply on every read until
    /// the sweep removes it; null if there is no such call.
    /// </summary>
    public async Task<CallResult?> GetCallAsync(DurableTaskClient client, string callId, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!CallId.TryParse(callId, out var instanceId, out var index))
        {
            return null;
        }

        var instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellation);
        if (instance is null)
        {
            return null;
        }

        if (instance.IsCompleted)
        {
            var outcomes = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<CallOutcome?[]>() : null;
            if (outcomes is not null && index >= outcomes.Length)
            {
                return null;
            }

            if (outcomes is null)
            {
                LogCallBroken(logger, instanceId, instance.RuntimeStatus, instance.FailureDetails?.ErrorMessage);
            }

            return CallId.Result(callId, outcomes, index, instance);
        }

        var progress = instance.SerializedCustomStatus is { } status
            ? JsonSerializer.Deserialize<CallOutcome?[]>(status, GenServerJson.Options)
            : null;
        return progress is not null && index < progress.Length && progress[index] is { } outcome
            ? CallId.Result(callId, outcome)
            : CallResult.Pending(callId);
    }

    /// <summary>
    /// Purges finished call orchestrations that have not changed for <see cref="Retention"/>: the replies of pending
    /// calls once they may no longer be read, and caller ids no worker uses any more. Returns how many it purged.
    /// </summary>
    public async Task<int> SweepAsync(DurableTaskClient client, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var horizon = time.GetUtcNow() - _calls.Retention;
        var query = new OrchestrationQuery { InstanceIdPrefix = CallIdPrefix, CreatedTo = horizon, Statuses = Finished, PageSize = 100 };
        var stale = new List<string>();
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(cancellation))
        {
            if (instance.LastUpdatedAt <= horizon)
            {
                stale.Add(instance.InstanceId);
            }
        }

        var purged = 0;
        foreach (var instanceId in stale)
        {
            purged += (await client.PurgeInstanceAsync(instanceId, options: null, cancellation)).PurgedInstanceCount;
        }

        return purged;
    }

    /// <summary>GenServer.cast: an entity signal. Returns as soon as the message is queued.</summary>
    public Task CastAsync(
        DurableTaskClient client, EntityInstanceId id, string operation, object? input, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.Entities.SignalEntityAsync(id, operation, input, options: null, cancellation);
    }

    /// <summary>
    /// GenServer.cast with an idempotency key: the entity applies it once however often the same key arrives within the
    /// window. Without a key it is the plain cast.
    /// </summary>
    public Task CastAsync(
        DurableTaskClient client, EntityInstanceId id, string operation, object? input, string? idempotencyKey,
        CancellationToken cancellation = default)
    {
        if (idempotencyKey is null)
        {
            return CastAsync(client, id, operation, input, cancellation);
        }

        var message = new OnceMessage(idempotencyKey, operation,
            input is null ? null : JsonSerializer.SerializeToElement(input, input.GetType(), GenServerJson.Options), _windowMs);
        return CastAsync(client, id, OnceMessage.OperationName, message, cancellation);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {Server}@{Key} '{Operation}' ({InstanceId}) had no reply within {TimeoutMs} ms; it completes later")]
    private static partial void LogCallTimedOut(ILogger logger, string server, string key, string operation, string instanceId, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {Server}@{Key} '{Operation}' was not sent within {TimeoutMs} ms: the worker's call orchestrations were all busy")]
    private static partial void LogCallNotSent(ILogger logger, string server, string key, string operation, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Read-only call {Server}@{Key} '{Operation}' failed")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string server, string key, string operation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {InstanceId} ended as {Status}: {Error}")]
    private static partial void LogCallBroken(ILogger logger, string instanceId, OrchestrationRuntimeStatus status, string? error);
}
