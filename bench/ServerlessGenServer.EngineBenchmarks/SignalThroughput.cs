using System.Diagnostics;
using Azure;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>One signal-throughput measurement.</summary>
public sealed record SignalResult(
    string Mode, int Entities, int BatchSize, int Signals, int SenderTasks,
    double SendSeconds, double SendPerSecond,
    double StartupSeconds, double ApplySeconds, double ApplyPerSecond,
    double EngineCores, double AzuriteCores, bool Exact);

/// <summary>
/// Casts (counter increments) into 1 or 16 entities. Two modes:
/// <list type="bullet">
/// <item><c>backlog</c>: a client-only host sends every signal while no worker runs (the send rate, with nothing
/// competing), then a worker starts over the same task hub; the apply rate is measured from the first applied
/// increment to the last, so the worker's start-up (partition leases) is reported apart.</item>
/// <item><c>live</c>: a warm worker runs while the signals are sent; the rate is end to end, from the first send to
/// the last applied increment, with sender and engine sharing the cores.</item>
/// </list>
/// Progress is read from the entities' state every <see cref="PollInterval"/>.
/// </summary>
public sealed class SignalThroughput(Func<EngineHostOptions> newOptions, CpuMeter cpu, TimeSpan? timeout = null)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromMinutes(10);

    public async Task<SignalResult> BacklogAsync(int entities, int batchSize, int signals, int senderTasks)
    {
        var options = newOptions() with { MaxEntityOperationBatchSize = batchSize };
        var ids = Ids(entities);

        double sendSeconds;
        await using (var sender = await EngineHost.StartAsync(options with { StartWorker = false }))
        {
            sendSeconds = await SendAsync(sender.Client, ids, signals, senderTasks);
        }

        var started = Stopwatch.GetTimestamp();
        await using var worker = await EngineHost.StartAsync(options);
        var (first, firstCount) = await WaitForAsync(worker.Client, ids, count => count > 0);
        cpu.Start();
        var (done, doneCount) = await WaitForAsync(worker.Client, ids, count => count >= signals);
        var (engineCores, azuriteCores) = cpu.Stop();
        var startup = (first - started) / (double)Stopwatch.Frequency;
        var apply = (done - first) / (double)Stopwatch.Frequency;
        return new SignalResult("backlog", entities, batchSize, signals, senderTasks, Round(sendSeconds), Round(signals / sendSeconds),
            Round(startup), Round(apply), Round((doneCount - firstCount) / apply), engineCores, azuriteCores, doneCount == signals);
    }

    public async Task<SignalResult> LiveAsync(int entities, int batchSize, int signals, int senderTasks)
    {
        var options = newOptions() with { MaxEntityOperationBatchSize = batchSize };
        var ids = Ids(entities);
        await using var worker = await EngineHost.StartAsync(options);

        // Warm up: partitions leased, every entity loaded once (one increment each, subtracted below).
        await SendAsync(worker.Client, ids, ids.Length, 1);
        await WaitForAsync(worker.Client, ids, count => count >= ids.Length);

        cpu.Start();
        var started = Stopwatch.GetTimestamp();
        var sendSeconds = await SendAsync(worker.Client, ids, signals, senderTasks);
        var (done, doneCount) = await WaitForAsync(worker.Client, ids, count => count >= signals + ids.Length);
        doneCount -= ids.Length;
        var (engineCores, azuriteCores) = cpu.Stop();
        var total = (done - started) / (double)Stopwatch.Frequency;
        return new SignalResult("live", entities, batchSize, signals, senderTasks, Round(sendSeconds), Round(signals / sendSeconds),
            0, Round(total), Round(doneCount / total), engineCores, azuriteCores, doneCount == signals);
    }

    private static EntityInstanceId[] Ids(int entities) =>
        [.. Enumerable.Range(0, entities).Select(i => new EntityInstanceId("counter", $"bench-{i}"))];

    // Sends `signals` increments round-robin over the ids from `tasks` concurrent senders; returns the seconds taken.
    private static async Task<double> SendAsync(DurableTaskClient client, EntityInstanceId[] ids, int signals, int tasks)
    {
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, tasks).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < signals)
            {
                await client.Entities.SignalEntityAsync(ids[i % ids.Length], "increment");
            }
        }));
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    // Polls the counters until their sum satisfies `until`; returns the timestamp of that poll and the sum.
    private async Task<(long At, long Count)> WaitForAsync(DurableTaskClient client, EntityInstanceId[] ids, Func<long, bool> until)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            EntityMetadata?[] states;
            try
            {
                states = await Task.WhenAll(ids.Select(id => client.Entities.GetEntityAsync(id, includeState: true)));
            }
            catch (Exception ex) when (ex.InnerException is RequestFailedException { Status: 404 })
            {
                // The provider's DurableTaskStorageException (internal) around a 404 from the blob service: it read the
                // entity's row, then the blob the row points to was gone, replaced by a batch in between (seen once at
                // batch size 1 with a 1,000-deep backlog, where the entity's persisted scheduler state is large). Poll again.
                await Task.Delay(PollInterval);
                continue;
            }

            // The stored state is the runtime's envelope; the counter's own state is inside it.
            var count = states.Sum(s => GenServerEnvelope.ServerState<CounterState>(s?.State.Value)?.Value ?? 0);
            var now = Stopwatch.GetTimestamp();
            if (until(count))
            {
                return (now, count);
            }

            if (now > deadline)
            {
                throw new TimeoutException($"The counters reached {count} in {_timeout}.");
            }

            await Task.Delay(PollInterval);
        }
    }

    private static double Round(double value) => Math.Round(value, 2);
}
