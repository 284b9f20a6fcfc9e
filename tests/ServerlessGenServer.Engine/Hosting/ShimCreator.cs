using DurableTask.Core;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>
/// Gives DTFx a fresh shimmed orchestrator or activity each time it asks (an orchestrator once per episode, as the
/// Functions host creates one per invocation): a shim keeps per-run state, so one must never be reused.
/// </summary>
internal sealed class ShimCreator<T> : ObjectCreator<T>
{
    private readonly Func<T> _create;

    public ShimCreator(string name, Func<T> create)
    {
        Name = name;
        Version = string.Empty;
        _create = create;
    }

    public override T Create() => _create();
}
