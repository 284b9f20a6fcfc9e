using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker.Shims;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>
/// Gives DTFx a fresh shimmed orchestrator each time it asks (once per episode): a shim keeps per-run state,
/// so one must never be reused.
/// </summary>
internal sealed class OrchestratorCreator : ObjectCreator<TaskOrchestration>
{
    private readonly Func<ITaskOrchestrator> _create;
    private readonly DurableTaskShimFactory _shims;

    public OrchestratorCreator(string name, Func<ITaskOrchestrator> create, DurableTaskShimFactory shims)
    {
        Name = name;
        Version = string.Empty;
        _create = create;
        _shims = shims;
    }

    public override TaskOrchestration Create() => _shims.CreateOrchestration(new TaskName(Name), _create());
}
