using System.Text.Json;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>Gives DTFx a shimmed activity per run, as the Functions host creates one per invocation.</summary>
internal sealed class ActivityCreator : ObjectCreator<TaskActivity>
{
    private readonly Func<ITaskActivity> _create;
    private readonly DurableTaskShimFactory _shims;

    public ActivityCreator(string name, Func<ITaskActivity> create, DurableTaskShimFactory shims)
    {
        Name = name;
        Version = string.Empty;
        _create = create;
        _shims = shims;
    }

    public override TaskActivity Create() => _shims.CreateActivity(new TaskName(Name), _create());
}

/// <summary>The engine host's face of the task activity: what the Functions app's activity trigger does.</summary>
internal sealed class GenServerTaskActivity(GenServerWorks works) : Microsoft.DurableTask.TaskActivity<WorkItem, JsonElement?>
{
    public override Task<JsonElement?> RunAsync(TaskActivityContext context, WorkItem input) => works.RunAsync(input);
}
