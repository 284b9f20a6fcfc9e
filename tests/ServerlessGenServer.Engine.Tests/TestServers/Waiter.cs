using Microsoft.DurableTask;

namespace ServerlessGenServer.Engine.Tests.TestServers;

/// <summary>A test-only orchestrator that runs until it gets the event <c>go</c>, then returns its input and the event's payload.</summary>
public sealed class Waiter : TaskOrchestrator<string, string>
{
    public const string EventName = "go";

    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        var payload = await context.WaitForExternalEvent<string>(EventName);
        return $"{input}:{payload}";
    }
}
