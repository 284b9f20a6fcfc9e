using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;

namespace ServerlessGenServer.Entities.GenServers.Tasks;

/// <summary>
/// Runs one task for a server: its work as an activity with the server's retry policy, then the outcome back to the
/// server as a message. The outcome is always sent, as a failure when every attempt failed.
/// </summary>
public sealed class GenServerTaskOrchestrator : TaskOrchestrator<TaskOrder, bool>
{
    public override async Task<bool> RunAsync(TaskOrchestrationContext context, TaskOrder order)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(order);
        var retry = order.Retry;
        var options = retry.MaxAttempts > 1
            ? TaskOptions.FromRetryPolicy(new RetryPolicy(retry.MaxAttempts, TimeSpan.FromMilliseconds(retry.FirstRetryMs), retry.Backoff))
            : null;
        TaskResult result;
        try
        {
            var value = await context.CallActivityAsync<JsonElement?>(GenServerWorks.ActivityName, order.Item, options);
            result = new TaskResult(order.TaskId, true, value);
        }
        catch (TaskFailedException ex)
        {
            result = new TaskResult(order.TaskId, false, ErrorType: ex.FailureDetails.ErrorType, Error: ex.FailureDetails.ErrorMessage);
        }

        await context.Entities.SignalEntityAsync(new EntityInstanceId(order.Server, order.Key), TaskResult.OperationName, result);
        return result.Ok;
    }
}
