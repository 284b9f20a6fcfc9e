using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using ServerlessGenServer.Entities.Calls;

namespace ServerlessGenServer.Entities.GenServers.Deferred;

/// <summary>
/// Carries a deferred reply from a server to its waiting caller: an entity cannot raise an event, an orchestration can.
/// Its instance id is the token's, so a repeated start delivers the same reply to an event the caller reads once.
/// </summary>
public sealed class ReplyOrchestrator : TaskOrchestrator<ReplyDelivery, bool>
{
    public override Task<bool> RunAsync(TaskOrchestrationContext context, ReplyDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(delivery);
        context.SendEvent(delivery.Caller.Instance, delivery.Caller.Event, delivery.Outcome);
        return Task.FromResult(true);
    }
}

/// <summary>The input of <see cref="ReplyOrchestrator"/>.</summary>
public sealed record ReplyDelivery(
    [property: JsonPropertyName("to")] ReplyAddress Caller,
    [property: JsonPropertyName("out")] CallOutcome Outcome);
