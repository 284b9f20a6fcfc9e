using DurableTask.Core;
using DurableTask.Core.Entities;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using CoreEntity = DurableTask.Core.Entities.EntityBackendQueries;

namespace ServerlessGenServer.Engine.Client;

/// <summary>
/// A <see cref="DurableEntityClient"/> over DTFx: signals are entity request messages sent through the service's
/// client side, reads and queries go to the backend's <see cref="EntityBackendQueries"/>.
/// </summary>
public sealed class EngineDurableEntityClient : DurableEntityClient
{
    private readonly IOrchestrationServiceClient _service;
    private readonly EntityBackendQueries _queries;
    private readonly EntityBackendProperties _properties;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;

    public EngineDurableEntityClient(
        string name, IOrchestrationServiceClient service, IEntityOrchestrationService entities, DataConverter converter, TimeProvider time)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(entities);
        ArgumentNullException.ThrowIfNull(converter);
        ArgumentNullException.ThrowIfNull(time);
        _service = service;
        _queries = entities.EntityBackendQueries ?? throw new NotSupportedException("The service has no entity queries.");
        _properties = entities.EntityBackendProperties ?? throw new NotSupportedException("The service does not support entities.");
        _converter = converter;
        _time = time;
    }

    /// <summary>
    /// Queues an operation for the entity. A <see cref="SignalEntityOptions.SignalTime"/> further away than the backend's
    /// maximum delay is delivered at the maximum and then re-scheduled by the engine, as DTFx does.
    /// </summary>
    public override Task SignalEntityAsync(
        EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id.Name, nameof(id));
        ArgumentException.ThrowIfNullOrEmpty(operationName);
        cancellation.ThrowIfCancellationRequested();
        var signal = ClientEntityHelpers.EmitOperationSignal(
            new OrchestrationInstance { InstanceId = id.ToString() },
            Guid.NewGuid(),
            operationName,
            _converter.Serialize(input),
            CapScheduledTime(options?.SignalTime, _time.GetUtcNow(), _properties.MaximumSignalDelayTime));
        return _service.SendTaskOrchestrationMessageAsync(signal.AsTaskMessage());
    }

    public override async Task<EntityMetadata?> GetEntityAsync(
        EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default) =>
        await _queries.GetEntityAsync(ToCore(id), includeState, includeStateless: false, cancellation) is { } found
            ? ToMetadata(found, includeState)
            : null;

    public override async Task<EntityMetadata<T>?> GetEntityAsync<T>(
        EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default) =>
        await _queries.GetEntityAsync(ToCore(id), includeState, includeStateless: false, cancellation) is { } found
            ? ToMetadata<T>(found, includeState)
            : null;

    public override AsyncPageable<EntityMetadata> GetAllEntitiesAsync(EntityQuery? filter = null) =>
        Query(filter, m => ToMetadata(m, filter?.IncludeState ?? true));

    public override AsyncPageable<EntityMetadata<T>> GetAllEntitiesAsync<T>(EntityQuery? filter = null) =>
        Query(filter, m => ToMetadata<T>(m, filter?.IncludeState ?? true));

    /// <summary>Removes entities that have no state left and releases locks held by orchestrations that are gone.</summary>
    public override async Task<CleanEntityStorageResult> CleanEntityStorageAsync(
        CleanEntityStorageRequest? request = null, bool continueUntilComplete = true, CancellationToken cancellation = default)
    {
        var asked = request ?? CleanEntityStorageRequest.Default;
        var (removed, released) = (0, 0);
        var continuation = asked.ContinuationToken;
        do
        {
            var result = await _queries.CleanEntityStorageAsync(
                new CoreEntity.CleanEntityStorageRequest
                {
                    RemoveEmptyEntities = asked.RemoveEmptyEntities,
                    ReleaseOrphanedLocks = asked.ReleaseOrphanedLocks,
                    ContinuationToken = continuation,
                },
                cancellation);
            removed += result.EmptyEntitiesRemoved;
            released += result.OrphanedLocksReleased;
            continuation = result.ContinuationToken;
        }
        while (continueUntilComplete && continuation is not null);

        return new CleanEntityStorageResult
        {
            EmptyEntitiesRemoved = removed,
            OrphanedLocksReleased = released,
            ContinuationToken = continuation,
        };
    }

    /// <summary>The scheduled time to send with a signal: null for now, else the requested time and the time capped to <paramref name="maxDelay"/>.</summary>
    internal static (DateTime Original, DateTime Capped)? CapScheduledTime(DateTimeOffset? signalTime, DateTimeOffset now, TimeSpan maxDelay) =>
        EntityMessageEvent.GetCappedScheduledTime(now.UtcDateTime, maxDelay, signalTime?.UtcDateTime);

    private AsyncPageable<TMetadata> Query<TMetadata>(EntityQuery? filter, Func<CoreEntity.EntityMetadata, TMetadata> convert)
        where TMetadata : notnull =>
        Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var result = await _queries.QueryEntitiesAsync(
                new CoreEntity.EntityQuery
                {
                    InstanceIdStartsWith = filter?.InstanceIdStartsWith,
                    LastModifiedFrom = filter?.LastModifiedFrom?.UtcDateTime,
                    LastModifiedTo = filter?.LastModifiedTo?.UtcDateTime,
                    IncludeState = filter?.IncludeState ?? true,
                    IncludeTransient = filter?.IncludeTransient ?? false,
                    PageSize = pageSize ?? filter?.PageSize,
                    ContinuationToken = continuation ?? filter?.ContinuationToken,
                },
                cancellation);
            return new Page<TMetadata>([.. result.Results.Select(convert)], result.ContinuationToken);
        });

    private EntityMetadata ToMetadata(CoreEntity.EntityMetadata found, bool includeState) =>
        new(FromCore(found.EntityId), includeState && found.SerializedState is { } state ? new SerializedData(state, _converter) : null)
        {
            LastModifiedTime = AsUtc(found.LastModifiedTime),
            BacklogQueueSize = found.BacklogQueueSize,
            LockedBy = found.LockedBy,
        };

    private EntityMetadata<T> ToMetadata<T>(CoreEntity.EntityMetadata found, bool includeState) =>
        new(FromCore(found.EntityId), includeState && found.SerializedState is { } state ? _converter.Deserialize<T>(state) : default)
        {
            LastModifiedTime = AsUtc(found.LastModifiedTime),
            BacklogQueueSize = found.BacklogQueueSize,
            LockedBy = found.LockedBy,
        };

    private static EntityId ToCore(EntityInstanceId id) => new(id.Name, id.Key);

    private static EntityInstanceId FromCore(EntityId id) => new(id.Name, id.Key);

    private static DateTimeOffset AsUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime());
}
