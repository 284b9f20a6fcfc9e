using System.Diagnostics;
using DurableTask.AzureStorage;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// A worker dies in the middle of a stream of casts and a new one takes over the task hub.
/// </summary>
/// <remarks>
/// The crash: the worker's only way to storage is a <see cref="StorageLink"/>, and the test cuts it (every connection
/// reset, none accepted). From then on the worker holds messages it fetched but never deleted, a batch it never
/// committed, and partition leases it never renews or releases: what storage sees after a kill -9 or a lost VM. A
/// graceful stop would instead finish the work in hand and release the leases, and would hide exactly what is tested.
/// The dead worker is then aborted in the background (a forced stop that cannot reach storage any more) only so that
/// it stops using CPU; it has no effect on storage.
/// <para>
/// What a crash may do: the Azure Storage provider commits a batch's state and then deletes the batch's messages. If the
/// worker dies between the two (its last commit reached storage, the deletes did not), those messages come back after
/// the visibility timeout and run again on the committed state, and client signals are not de-duplicated by the
/// engine. So no cast may be lost, and the only extra applications allowed are those of messages the dead worker held:
/// at most the control-queue buffer (<see cref="AzureStorageOrchestrationServiceSettings.ControlQueueBufferThreshold"/>).
/// </para>
/// </remarks>
[Collection(EngineTestGroup.Name)]
public sealed class WorkerCrashEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    private const int Casts = 2_000;
    private const string Key = "crash";

    /// <summary>Shorter than host.json's minute, so the test is quick; the recovery it shows scales with it.</summary>
    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Cast_WorkerKilledMidStream_NoCastLostAndOnlyMessagesTheDeadWorkerHeldMayRunTwice()
    {
        var options = engine.NewOptions("Crash") with { ControlQueueVisibilityTimeout = VisibilityTimeout };
        using var link = StorageLink.To(engine.Azurite);
        var doomed = await EngineHost.StartAsync(options with { ConnectionString = link.ConnectionString, StartWorker = false });
        await using var clients = await EngineHost.StartAsync(options with { StartWorker = false });
        var http = new GenServerHttp(clients.Registry, clients.Client);
        var stream = new CastStream();
        Task? abort = null;
        EngineHost? successor = null;
        try
        {
            // Half the stream is queued before the worker starts, so that it is busy with a backlog when it dies: a batch
            // in hand and more messages fetched ahead. The other half keeps coming during the crash and after it.
            await stream.RunAsync(http, Key, Casts / 2, parallelism: 16);
            await doomed.StartWorkerAsync();
            var sending = stream.RunAsync(http, Key, Casts / 2, parallelism: 8);
            var appliedAtKill = await Eventually.WaitForAsync(
                () => CastStream.ValueAsync(http, Key), v => v >= 300, "the first worker to apply 300 casts", TimeSpan.FromMinutes(2));

            link.Cut();
            var killed = Stopwatch.StartNew();
            var sentAtKill = stream.Sent;
            abort = doomed.AbortAsync();
            successor = await EngineHost.StartAsync(options);
            await sending;
            var final = await Eventually.WaitForAsync(
                () => CastStream.ValueAsync(http, Key), v => v >= Casts, $"{Casts} increments after the crash", TimeSpan.FromMinutes(3));
            var recovery = killed.Elapsed;

            // Every message the dead worker fetched has been visible again for a while: a second application would show now.
            var settle = VisibilityTimeout + TimeSpan.FromSeconds(5) - killed.Elapsed;
            if (settle > TimeSpan.Zero)
            {
                await Task.Delay(settle);
            }

            var settled = await CastStream.ValueAsync(http, Key);
            var defaults = new AzureStorageOrchestrationServiceSettings();
            output.WriteLine(
                $"Killed after {appliedAtKill} of {sentAtKill} sent casts were applied ({sentAtKill - appliedAtKill} queued or in flight); " +
                $"the count reached {Casts} {recovery.TotalSeconds:0.0} s after the kill; {settled} ({settled - Casts} ran twice) after {killed.Elapsed.TotalSeconds:0.0} s. " +
                $"Visibility timeout {VisibilityTimeout.TotalSeconds:0} s, lease interval {defaults.LeaseInterval.TotalSeconds:0} s, " +
                $"lease renew interval {defaults.LeaseRenewInterval.TotalSeconds:0} s, table partition management {defaults.UseTablePartitionManagement}; " +
                $"the link carried {link.ConnectionsCarried} connections.");
            Assert.True(link.ConnectionsCarried > 0, "the first worker did not use the link");
            Assert.Equal(Casts, stream.Acknowledged);
            Assert.True(appliedAtKill < Casts, $"the worker had applied all {Casts} casts before the kill");
            Assert.InRange(final, Casts, settled);
            Assert.InRange(settled, Casts, Casts + defaults.ControlQueueBufferThreshold);
        }
        finally
        {
            link.Cut();
            await StopDeadWorkerAsync(doomed, abort);
            if (successor is not null)
            {
                await successor.DisposeAsync();
            }
        }
    }

    private async Task StopDeadWorkerAsync(EngineHost doomed, Task? abort)
    {
        try
        {
            // It cannot release anything any more; give it a moment to wind down, but do not wait for its storage retries.
            await (abort ?? doomed.AbortAsync()).WaitAsync(TimeSpan.FromSeconds(5));
        }
#pragma warning disable CA1031 // The dead worker's own failures (it cannot reach storage) do not matter; only that it stops.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            output.WriteLine($"The dead worker's forced stop ended with {ex.GetType().Name}: {ex.Message}");
        }

        await doomed.DisposeAsync();
    }
}
