using System.Text.Json;
using Microsoft.DurableTask;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>The engine host's face of the task activity: what the Functions app's activity trigger does.</summary>
internal sealed class GenServerTaskActivity(GenServerWorks works) : Microsoft.DurableTask.TaskActivity<WorkItem, JsonElement?>
{
    public override Task<JsonElement?> RunAsync(TaskActivityContext context, WorkItem input) => works.RunAsync(input);
}
