using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Entities.Calls;

/// <summary>GenServer.call from outside: only an orchestration can call an entity and wait for its reply.</summary>
public sealed class CallOrchestrator : TaskOrchestrator<CallRequest, CallOutcome>
{
    public override async Task<CallOutcome> RunAsync(TaskOrchestrationContext context, CallRequest request)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var id = new EntityInstanceId(request.Server, request.Key);
            var reply = request.IdempotencyKey is { } key
                ? await context.Entities.CallEntityAsync<JsonElement?>(id, OnceMessage.OperationName, new OnceMessage(
                    key, request.Operation, request.Input, request.IdempotencyWindowMs ?? new IdempotencyOptions().WindowMs))
                : await context.Entities.CallEntityAsync<JsonElement?>(id, request.Operation, request.Input);
            return CallOutcome.Replied(reply);
        }
        catch (EntityOperationFailedException ex)
        {
            // The operation threw: its state change was rolled back. The caller gets the reason, not a failed orchestration.
            return CallOutcome.Failed(ex.FailureDetails.ErrorType, ex.FailureDetails.ErrorMessage);
        }
    }
}

/// <summary>The input of <see cref="CallOrchestrator"/>.</summary>
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
