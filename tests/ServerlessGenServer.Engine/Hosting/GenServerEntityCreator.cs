using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.Entities.OperationFormat;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.DependencyInjection;

namespace ServerlessGenServer.Engine.Hosting;

/// <summary>
/// Gives DTFx an entity object for one GenServer name. DTFx asks per work item, knowing only the name; the
/// durabletask-dotnet shim needs the entity id, which the adapter reads from the batch it is handed.
/// </summary>
internal sealed class GenServerEntityCreator : ObjectCreator<TaskEntity>
{
    private readonly Type _serverType;
    private readonly IServiceProvider _services;
    private readonly DurableTaskShimFactory _shims;

    public GenServerEntityCreator(string name, Type serverType, IServiceProvider services, DurableTaskShimFactory shims)
    {
        Name = name;
        Version = string.Empty;
        _serverType = serverType;
        _services = services;
        _shims = shims;
    }

    public override TaskEntity Create() => new Adapter(this);

    /// <summary>Runs one batch: the GenServer is created from DI for the batch (as the Functions worker does) and wrapped by the shim.</summary>
    private sealed class Adapter(GenServerEntityCreator creator) : TaskEntity
    {
        public override async Task<EntityBatchResult> ExecuteOperationBatchAsync(EntityBatchRequest operations)
        {
            ArgumentNullException.ThrowIfNull(operations);
            var id = EntityId.FromString(operations.InstanceId ?? throw new InvalidOperationException("The batch names no entity."));
            await using var scope = creator._services.CreateAsyncScope();
            var server = (ITaskEntity)ActivatorUtilities.CreateInstance(scope.ServiceProvider, creator._serverType);
            var shim = creator._shims.CreateEntity(new TaskName(id.Name), server, id);
            return await shim.ExecuteOperationBatchAsync(operations);
        }
    }
}
