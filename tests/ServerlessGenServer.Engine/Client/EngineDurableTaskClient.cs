using DurableTask.Core;
using DurableTask.Core.Entities;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using CoreOrchestrationQuery = DurableTask.Core.Query.OrchestrationQuery;
using IOrchestrationServiceQueryClient = DurableTask.Core.Query.IOrchestrationServiceQueryClient;
using CorePurgeResult = DurableTask.Core.PurgeResult;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace ServerlessGenServer.Engine.Client;

/// <summary>
/// A <see cref="DurableTaskClient"/> over DTFx's client side (<see cref="IOrchestrationServiceClient"/> and, where the
/// service has them, its purge, query and entity interfaces): what the Functions app's <c>[DurableClient]</c> does over
/// gRPC, done in process. Inputs, outputs and entity state go through one <see cref="DataConverter"/>.
/// </summary>
/// <remarks>
/// Waits poll the instance with a short, growing delay (the Azure Storage provider's own wait polls every 2 s).
/// Not supported, with a <see cref="NotSupportedException"/>: recursive terminate and purge, restart, rewind and history.
/// </remarks>
public sealed class EngineDurableTaskClient : DurableTaskClient
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(1);

    private readonly IOrchestrationServiceClient _service;
    private readonly DataConverter _converter;
    private readonly TimeProvider _time;
    private readonly EngineDurableEntityClient? _entities;

    public EngineDurableTaskClient(
        IOrchestrationServiceClient service, DataConverter converter, TimeProvider? time = null, string name = "engine")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(converter);
        _service = service;
        _converter = converter;
        _time = time ?? TimeProvider.System;
        if (service is IEntityOrchestrationService { EntityBackendQueries: not null, EntityBackendProperties: not null } entityService)
        {
            _entities = new EngineDurableEntityClient(name, service, entityService, converter, _time);
        }
    }

    public override DurableEntityClient Entities => _entities ??
        throw new NotSupportedException($"{_service.GetType().Name} does not support durable entities.");

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(
        TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(orchestratorName.Name, nameof(orchestratorName));
        cancellation.ThrowIfCancellationRequested();
        var instance = new OrchestrationInstance
        {
            InstanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N"),
            ExecutionId = Guid.NewGuid().ToString("N"),
        };
        var message = new TaskMessage
        {
            OrchestrationInstance = instance,
            Event = new ExecutionStartedEvent(-1, _converter.Serialize(input))
            {
                Name = orchestratorName.Name,
                Version = options?.Version?.ToString() ?? string.Empty,
                OrchestrationInstance = instance,
                ScheduledStartTime = options?.StartAt?.UtcDateTime,
                Tags = options?.Tags?.ToDictionary(t => t.Key, t => t.Value),
            },
        };

        await _service.CreateTaskOrchestrationAsync(message, DedupeStatuses(options));
        return instance.InstanceId;
    }

    public override Task RaiseEventAsync(
        string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return SendAsync(instanceId, new EventRaisedEvent(-1, _converter.Serialize(eventPayload)) { Name = eventName }, cancellation);
    }

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    public override Task TerminateInstanceAsync(
        string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        if (options?.Recursive == true)
        {
            throw new NotSupportedException("Recursive termination is not supported by this client: terminate each sub-orchestration.");
        }

        cancellation.ThrowIfCancellationRequested();
        return _service.ForceTerminateTaskOrchestrationAsync(instanceId, _converter.Serialize(options?.Output));
    }

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        var states = await _service.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        return states is { Count: > 0 } && states[0] is { } state ? ToMetadata(state, getInputsAndOutputs) : null;
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var queries = Require<IOrchestrationServiceQueryClient>("querying orchestration instances");
        return Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var query = new CoreOrchestrationQuery
            {
                RuntimeStatus = filter?.Statuses?.Select(ToCore).ToList(),
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                TaskHubNames = filter?.TaskHubNames?.ToList(),
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                FetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false,
                ExcludeEntities = true,
            };
            var result = await queries.GetOrchestrationWithQueryAsync(query, cancellation);
            var page = result.OrchestrationState.Select(s => ToMetadata(s, query.FetchInputsAndOutputs)).ToList();
            return new Page<OrchestrationMetadata>(page, result.ContinuationToken);
        });
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, i => i.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(
        string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, i => i.IsCompleted, cancellation);

    /// <summary>Deletes a finished instance's history and status. Returns 0 if there is no such instance.</summary>
    /// <exception cref="InvalidOperationException">The instance has not finished.</exception>
    public override async Task<PurgeResult> PurgeInstanceAsync(
        string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ThrowIfRecursive(options);
        var purger = Require<IOrchestrationServicePurgeClient>("purging instances");
        var instance = await GetInstanceAsync(instanceId, cancellation);
        if (instance is null)
        {
            return new PurgeResult(0);
        }

        if (!instance.IsCompleted)
        {
            throw new InvalidOperationException(
                $"Only a finished instance can be purged; '{instanceId}' is {instance.RuntimeStatus}.");
        }

        var result = await purger.PurgeInstanceStateAsync(instanceId);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <summary>Purges the instances the filter selects; with no statuses given, only finished ones (never running ones).</summary>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(
        PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ThrowIfRecursive(options);
        var purger = Require<IOrchestrationServicePurgeClient>("purging instances");
        cancellation.ThrowIfCancellationRequested();
        var statuses = filter.Statuses?.Select(ToCore).ToList() ?? [.. FinishedStatuses];
        CorePurgeResult result = await purger.PurgeInstanceStateAsync(new PurgeInstanceFilter(
            filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue, filter.CreatedTo?.UtcDateTime, statuses));
        return new PurgeResult(result.DeletedInstanceCount);
    }

    public override ValueTask DisposeAsync() => default; // The service belongs to whoever created it.

    private static readonly OrchestrationStatus[] FinishedStatuses =
        [OrchestrationStatus.Completed, OrchestrationStatus.Failed, OrchestrationStatus.Terminated, OrchestrationStatus.Canceled];

    private async Task<OrchestrationMetadata> PollAsync(
        string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        var delay = FirstPoll;
        while (true)
        {
            var instance = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation) ??
                throw new InvalidOperationException($"There is no orchestration instance '{instanceId}'.");
            if (done(instance))
            {
                return instance;
            }

            await Task.Delay(delay, _time, cancellation);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, MaxPoll.Ticks));
        }
    }

    private Task SendAsync(string instanceId, HistoryEvent historyEvent, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        cancellation.ThrowIfCancellationRequested();
        return _service.SendTaskOrchestrationMessageAsync(new TaskMessage
        {
            OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId },
            Event = historyEvent,
        });
    }

    private OrchestrationMetadata ToMetadata(OrchestrationState state, bool includeInputsAndOutputs) =>
        new(state.Name, state.OrchestrationInstance.InstanceId)
        {
            DataConverter = _converter,
            RuntimeStatus = FromCore(state.OrchestrationStatus),
            CreatedAt = AsUtc(state.CreatedTime),
            LastUpdatedAt = AsUtc(state.LastUpdatedTime),
            SerializedInput = includeInputsAndOutputs ? state.Input : null,
            SerializedOutput = includeInputsAndOutputs ? state.Output : null,
            SerializedCustomStatus = includeInputsAndOutputs ? state.Status : null,
            FailureDetails = ToFailureDetails(state.FailureDetails),
            Tags = state.Tags is null ? new Dictionary<string, string>() : new Dictionary<string, string>(state.Tags),
        };

    private static TaskFailureDetails? ToFailureDetails(FailureDetails? details) => details is null
        ? null
        : new TaskFailureDetails(details.ErrorType, details.ErrorMessage, details.StackTrace, ToFailureDetails(details.InnerFailure), null);

    private static DateTimeOffset AsUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(time, DateTimeKind.Utc) : time.ToUniversalTime());

    private static OrchestrationStatus[]? DedupeStatuses(StartOrchestrationOptions? options) =>
        options?.DedupeStatuses is { Count: > 0 } statuses
            ? [.. statuses.Select(s => Enum.TryParse<OrchestrationRuntimeStatus>(s, ignoreCase: true, out var status)
                ? ToCore(status)
                : throw new ArgumentException($"'{s}' is not an orchestration status.", nameof(options)))]
            : null;

    internal static OrchestrationStatus ToCore(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Running => OrchestrationStatus.Running,
        OrchestrationRuntimeStatus.Completed => OrchestrationStatus.Completed,
#pragma warning disable CS0618 // ContinuedAsNew and Canceled are obsolete in the client, but the engine still has them.
        OrchestrationRuntimeStatus.ContinuedAsNew => OrchestrationStatus.ContinuedAsNew,
        OrchestrationRuntimeStatus.Failed => OrchestrationStatus.Failed,
        OrchestrationRuntimeStatus.Terminated => OrchestrationStatus.Terminated,
        OrchestrationRuntimeStatus.Pending => OrchestrationStatus.Pending,
        OrchestrationRuntimeStatus.Suspended => OrchestrationStatus.Suspended,
        OrchestrationRuntimeStatus.Canceled => OrchestrationStatus.Canceled,
#pragma warning restore CS0618
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown orchestration status."),
    };

    internal static OrchestrationRuntimeStatus FromCore(OrchestrationStatus status) => status switch
    {
        OrchestrationStatus.Running => OrchestrationRuntimeStatus.Running,
        OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
#pragma warning disable CS0618
        OrchestrationStatus.ContinuedAsNew => OrchestrationRuntimeStatus.ContinuedAsNew,
        OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        OrchestrationStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        OrchestrationStatus.Canceled => OrchestrationRuntimeStatus.Canceled,
#pragma warning restore CS0618
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown orchestration status."),
    };

    private static void ThrowIfRecursive(PurgeInstanceOptions? options)
    {
        if (options?.Recursive == true)
        {
            throw new NotSupportedException("Recursive purge is not supported by this client: purge each sub-orchestration.");
        }
    }

    private T Require<T>(string what) where T : class => _service as T ??
        throw new NotSupportedException($"{_service.GetType().Name} does not support {what} (it is not an {typeof(T).Name}).");
}
