using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Functions.Client;

/// <summary>
/// GenServer.call and GenServer.cast for the app's functions. A call runs <see cref="CallOrchestrator"/> and
/// polls its status with a short, growing delay: the Azure Storage provider's own wait polls every 2 s, which
/// would make every call take at least that long.
/// </summary>
/// <remarks>
/// A cast or call with an idempotency key is sent as the reserved <c>$once</c> message, which carries the key, the real
/// operation and input, and the window from <see cref="IdempotencyOptions"/> (30 minutes unless configured).
/// </remarks>
public sealed partial class GenServerClient(
    TimeProvider time, ILogger<GenServerClient> logger, IOptions<IdempotencyOptions>? idempotency = null)
{
    public const string CallIdPrefix = "call-";
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxCallTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(15);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(250);
    private readonly long _windowMs = (idempotency?.Value ?? new IdempotencyOptions()).WindowMs;

    /// <summary>Calls an entity and waits up to <paramref name="timeout"/> for its reply.</summary>
    public async Task<CallResult> CallAsync(
        DurableTaskClient client, CallRequest request, TimeSpan timeout, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        if (request is { IdempotencyKey: not null, IdempotencyWindowMs: null })
        {
            request = request with { IdempotencyWindowMs = _windowMs };
        }

        var instanceId = CallIdPrefix + Guid.NewGuid().ToString("N");
        var deadline = time.GetUtcNow() + timeout;
        await client.ScheduleNewOrchestrationInstanceAsync(
            nameof(CallOrchestrator), request, new StartOrchestrationOptions(instanceId), cancellation);

        var delay = FirstPoll;
        while (true)
        {
            var instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellation);
            if (instance is { IsCompleted: true })
            {
                return await CollectAsync(client, instance, cancellation);
            }

            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                LogCallTimedOut(logger, request.Server, request.Key, request.Operation, instanceId, timeout.TotalMilliseconds);
                return CallResult.Pending(instanceId);
            }

            await Task.Delay(delay < left ? delay : left, time, cancellation);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, MaxPoll.Ticks));
        }
    }

    /// <summary>The result of an earlier call (one that timed out), purging it once read; null if there is no such call.</summary>
    public async Task<CallResult?> GetCallAsync(DurableTaskClient client, string instanceId, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellation);
        return instance switch
        {
            null => null,
            { IsCompleted: true } => await CollectAsync(client, instance, cancellation),
            _ => CallResult.Pending(instanceId),
        };
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

    // Reads a finished call's outcome and purges the instance, so calls leave nothing behind in storage.
    private async Task<CallResult> CollectAsync(DurableTaskClient client, OrchestrationMetadata instance, CancellationToken cancellation)
    {
        var outcome = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? instance.ReadOutputAs<CallOutcome>()
            : null;
        await client.PurgeInstanceAsync(instance.InstanceId, options: null, cancellation);
        if (outcome is null)
        {
            LogCallBroken(logger, instance.InstanceId, instance.RuntimeStatus, instance.FailureDetails?.ErrorMessage);
            return CallResult.Failure(instance.InstanceId, "CallFailed",
                $"The call ended as {instance.RuntimeStatus}: {instance.FailureDetails?.ErrorMessage ?? "no reply"}");
        }

        return outcome.Ok
            ? CallResult.Replied(instance.InstanceId, outcome.Reply)
            : CallResult.Failure(instance.InstanceId, outcome.ErrorType ?? "Error", outcome.Error ?? "The operation failed.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {Server}@{Key} '{Operation}' ({InstanceId}) had no reply within {TimeoutMs} ms; it completes later")]
    private static partial void LogCallTimedOut(ILogger logger, string server, string key, string operation, string instanceId, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {InstanceId} ended as {Status}: {Error}")]
    private static partial void LogCallBroken(ILogger logger, string instanceId, OrchestrationRuntimeStatus status, string? error);
}
