using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.Functions.Timers;

/// <summary>
/// Nightly housekeeping of the task hub, on the schedule in the <c>ENTITY_CLEANUP_SCHEDULE</c> app setting
/// (NCRONTAB; "0 0 3 * * *" is 03:00 every day):
/// removes entities that have no state, releases locks held by orchestrations that no longer exist, and purges
/// finished orchestrations older than <see cref="CallRetention"/> — calls whose reply was never read.
/// </summary>
/// <remarks>
/// The purge filter can only select by creation time and status (not by orchestration name). Every orchestration in
/// this app is a <c>CallOrchestrator</c>, and entities are never Completed, Failed or Terminated, so it removes
/// nothing else. An app that adds orchestrations whose history must be kept has to narrow this.
/// </remarks>
public sealed partial class EntityCleanupTimer(TimeProvider time, ILogger<EntityCleanupTimer> logger)
{
    public static readonly TimeSpan CallRetention = TimeSpan.FromDays(1);

    internal static readonly OrchestrationRuntimeStatus[] FinishedStatuses =
        [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    [Function(nameof(EntityCleanupTimer))]
    public async Task Run(
        [TimerTrigger("%ENTITY_CLEANUP_SCHEDULE%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        int removed = 0, released = 0, pages = 0;
        string? continuation = null;
        do
        {
            var request = new CleanEntityStorageRequest
            {
                RemoveEmptyEntities = true,
                ReleaseOrphanedLocks = true,
                ContinuationToken = continuation,
            };
            var result = await client.Entities.CleanEntityStorageAsync(request, continueUntilComplete: false, cancellation);
            removed += result.EmptyEntitiesRemoved;
            released += result.OrphanedLocksReleased;
            continuation = result.ContinuationToken;
            pages++;
        }
        while (!string.IsNullOrEmpty(continuation));

        var filter = new PurgeInstancesFilter(CreatedTo: time.GetUtcNow() - CallRetention, Statuses: FinishedStatuses);
        var purged = await client.PurgeAllInstancesAsync(filter, options: null, cancellation);
        LogCleaned(logger, removed, released, pages, purged.PurgedInstanceCount, timer?.IsPastDue ?? false);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Entity cleanup: {EmptyEntitiesRemoved} empty entities removed, {OrphanedLocksReleased} orphaned locks released " +
                  "in {Pages} pages; {CallsPurged} finished calls older than a day purged (past due: {PastDue})")]
    private static partial void LogCleaned(ILogger logger, int emptyEntitiesRemoved, int orphanedLocksReleased, int pages, int callsPurged, bool pastDue);
}
