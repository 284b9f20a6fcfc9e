using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Entities.Calls;

/// <summary>
/// GenServer.call from outside: only an orchestration can call an entity and wait for its reply. One run carries a
/// batch of calls, to one entity or many, made in parallel; each keeps its own reply or error.
/// </summary>
/// <remarks>
/// While some calls still wait, the replies so far are the custom status (a <see cref="CallOutcome"/> array, null where
/// no reply came yet), so a caller whose entity answered does not wait for a slow one. The output is every outcome.
/// </remarks>
public sealed class CallOrchestrator : TaskOrchestrator<CallBatch, CallOutcome[]>
{
    public override async Task<CallOutcome[]> RunAsync(TaskOrchestrationContext context, CallBatch batch)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = new CallOutcome?[batch.Calls.Count];
        var running = batch.Calls.Select((call, index) => CallAsync(context, call, index)).ToList();
        while (running.Count > 0)
        {
            var done = await Task.WhenAny(running);
            running.Remove(done);
            var (index, outcome) = await done;
            outcomes[index] = outcome;
            if (running.Count > 0)
            {
                context.SetCustomStatus(outcomes);
            }
        }

        return outcomes!;
    }

    private static async Task<(int Index, CallOutcome Outcome)> CallAsync(TaskOrchestrationContext context, CallRequest request, int index)
    {
        try
        {
            var id = new EntityInstanceId(request.Server, request.Key);
            var reply = request.IdempotencyKey is { } key
                ? await context.Entities.CallEntityAsync<JsonElement?>(id, OnceMessage.OperationName, new OnceMessage(
                    key, request.Operation, request.Input, request.IdempotencyWindowMs ?? new IdempotencyOptions().WindowMs))
                : await context.Entities.CallEntityAsync<JsonElement?>(id, request.Operation, request.Input);
            return DeferredReply.Read(reply) is { } deferred
                ? (index, await AwaitDeferredAsync(context, id, deferred))
                : (index, CallOutcome.Replied(reply));
        }
        catch (EntityOperationFailedException ex)
        {
            // The operation threw: its state change was rolled back. The caller gets the reason, not a failed orchestration.
            return (index, CallOutcome.Failed(ex.FailureDetails.ErrorType, ex.FailureDetails.ErrorMessage));
        }
    }

    // The operation deferred its reply: tell the server where this call waits (it may have answered already), then
    // wait for the reply's event until the token's deadline.
    private static async Task<CallOutcome> AwaitDeferredAsync(TaskOrchestrationContext context, EntityInstanceId id, DeferredReply deferred)
    {
        var caller = new ReplyAddress(context.InstanceId, DeferredReply.EventName(deferred.Id));
        var now = await context.Entities.CallEntityAsync<CallOutcome?>(id, DeferredReply.AwaitOperation, new AwaitReply(deferred.Id, caller));
        if (now is not null)
        {
            return now;
        }

        var left = deferred.Until - context.CurrentUtcDateTime;
        try
        {
            return await context.WaitForExternalEvent<CallOutcome>(caller.Event, left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (TaskCanceledException)
        {
            return PendingReplies.Expired(deferred.Id);
        }
    }
}

/// <summary>The input of <see cref="CallOrchestrator"/>: the calls one run makes.</summary>
public sealed record CallBatch(IReadOnlyList<CallRequest> Calls);

/// <summary>One call of a <see cref="CallBatch"/>.</summary>
/// <param name="IdempotencyKey">When set, the call is sent as a <c>$once</c> message: applied once per key within the window.</param>
/// <param name="IdempotencyWindowMs">How long the key is remembered; the <see cref="IdempotencyOptions"/> default when null.</param>
public sealed record CallRequest(
    string Server, string Key, string Operation, JsonElement? Input = null, string? IdempotencyKey = null, long? IdempotencyWindowMs = null);

/// <summary>A call's outcome: the reply, or why the operation failed.</summary>
public sealed record CallOutcome(bool Ok, JsonElement? Reply, string? ErrorType, string? Error)
{
    public static CallOutcome Replied(JsonElement? reply) => new(true, reply, null, null);

    public static CallOutcome Failed(string errorType, string error) => new(false, null, errorType, error);
}
