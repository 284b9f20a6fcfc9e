using System.Text.Json.Nodes;
using Microsoft.DurableTask.Entities;

namespace ServerlessGenServer.Engine.Tests.TestServers.Versions.V0;

/// <summary>
/// Generation 0 of the test server <c>parcel</c>: not a GenServer, it stores the JSON it is given as the entity's state,
/// byte for byte. It writes what earlier code left in a task hub: the format before the envelope (the record itself,
/// its ledger under <c>$once</c>), a state of a newer version, or state no version can read.
/// </summary>
public sealed class Parcel : ITaskEntity
{
    public ValueTask<object?> RunAsync(TaskEntityOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        operation.State.SetState(JsonNode.Parse(operation.GetInput<string>()!));
        return default;
    }
}
