using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;
using ServerlessGenServer.Functions.Tests.Support;
using ServerlessGenServer.Functions.Timers;

namespace ServerlessGenServer.Functions.Tests.Timers;

public sealed class EntityCleanupTimerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);
    private readonly Clients _clients = new();
    private readonly EntityCleanupTimer _timer = new(new FakeTimeProvider(Now), NullLogger<EntityCleanupTimer>.Instance);

    [Fact]
    public async Task Run_TwoPages_CleansUntilNoContinuationThenPurgesCallsOlderThanADay()
    {
        var requests = new List<CleanEntityStorageRequest>();
        _clients.Entities.Setup(e => e.CleanEntityStorageAsync(It.IsAny<CleanEntityStorageRequest?>(), false, It.IsAny<CancellationToken>()))
            .Callback<CleanEntityStorageRequest?, bool, CancellationToken>((r, _, _) => requests.Add(r!.Value))
            .ReturnsAsync(() => requests.Count == 1
                ? new CleanEntityStorageResult { EmptyEntitiesRemoved = 3, OrphanedLocksReleased = 1, ContinuationToken = "page-2" }
                : new CleanEntityStorageResult { EmptyEntitiesRemoved = 2, OrphanedLocksReleased = 0, ContinuationToken = null });
        PurgeInstancesFilter? filter = null;
        _clients.Client.Setup(c => c.PurgeAllInstancesAsync(It.IsAny<PurgeInstancesFilter>(), null, It.IsAny<CancellationToken>()))
            .Callback<PurgeInstancesFilter, PurgeInstanceOptions?, CancellationToken>((f, _, _) => filter = f)
            .ReturnsAsync(new PurgeResult(7));

        await _timer.Run(new TimerInfo(), _clients.Client.Object, CancellationToken.None);

        Assert.Equal([null, "page-2"], requests.Select(r => r.ContinuationToken));
        Assert.All(requests, r => Assert.True(r.RemoveEmptyEntities && r.ReleaseOrphanedLocks));
        Assert.Equal(Now.AddDays(-1), filter!.CreatedTo);
        Assert.Null(filter.CreatedFrom);
        Assert.Equal(
            [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated],
            filter.Statuses!.Order());
    }

    [Fact]
    public async Task Run_CleaningFails_ThrowsWithoutPurging()
    {
        _clients.Entities.Setup(e => e.CleanEntityStorageAsync(It.IsAny<CleanEntityStorageRequest?>(), false, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("hub unavailable"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => _timer.Run(new TimerInfo(), _clients.Client.Object, CancellationToken.None));

        _clients.Client.Verify(c => c.PurgeAllInstancesAsync(It.IsAny<PurgeInstancesFilter>(), It.IsAny<PurgeInstanceOptions?>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
