using System.Diagnostics;
using Azure.Storage.Queues;
using ServerlessGenServer.Engine.Hosting;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>A drained backlog of counter increments into one entity, with its CPU per signal.</summary>
public sealed record DrainRow(int Depth, double Seconds, double PerSecond, double ClientAndEngineCpuMsPerSignal, double AzuriteCpuMsPerSignal, bool Exact);

/// <summary>
/// Azurite's own drain limit at a depth: one queue filled with <see cref="Depth"/> messages, then emptied as the
/// engine empties a control queue (fetches of 32, each message deleted), by plain SDK calls.
/// </summary>
public sealed record DrainCeilingRow(int Depth, double Seconds, double MessagesPerSecond, double AzuriteCpuMsPerMessage);

/// <summary>One engine setting: calls (32 callers, 1 and 16 entities, and one caller), a drained backlog, and Azurite's ceilings beside them.</summary>
public sealed record SettingsRow(
    string Setting, string Storage, CallPathRow OneCaller, CallPathRow OneEntity, CallPathRow SixteenEntities, AzuriteCeilingRow CallCeiling,
    DrainRow Drain, DrainCeilingRow DrainCeiling)
{
    /// <summary>Calls/s on one entity as a fraction of Azurite's limit at the requests per call this setting costs.</summary>
    public double OneEntityOfLimit => OfLimit(OneEntity);

    public double SixteenEntitiesOfLimit => OfLimit(SixteenEntities);

    public double DrainOfLimit => Math.Round(Drain.PerSecond / DrainCeiling.MessagesPerSecond, 2);

    private double OfLimit(CallPathRow row)
    {
        var requestsPerCall = row.AzuriteCpuMsPerCall / CallCeiling.AzuriteCpuMsPerRequest;
        return Math.Round(row.CallsPerSecond / (CallCeiling.RequestsPerSecond / requestsPerCall), 2);
    }
}

/// <summary>Measures one engine setting on a fresh task hub, with the same load every time.</summary>
public sealed class SettingsSweep(string connectionString, CpuMeter cpu, bool isShort)
{
    private const int SenderTasks = 32;

    public async Task<SettingsRow> RunAsync(string setting, string storage, EngineHostOptions options)
    {
        var calls = isShort ? 300 : 800;
        CallPathRow oneCaller, oneEntity, sixteen;
        await using (var host = await EngineHost.StartAsync(options))
        {
            var comparison = new CallComparison(host, cpu);
            Progress("warm-up", await comparison.RunAsync("new", 50, 8, 1)); // leases, the orchestrator, the entity
            oneCaller = Progress("one caller", await comparison.RunAsync("new", isShort ? 50 : 100, 1, 1));
            oneEntity = Progress("32 callers, 1 entity", await comparison.RunAsync("new", calls, 32, 1));
            sixteen = Progress("32 callers, 16 entities", await comparison.RunAsync("new", calls, 32, 16));
        }

        var callCeiling = Progress("queue ceiling", await CallComparison.CeilingAsync(connectionString, cpu, isShort ? 500 : 1_000, 32));
        var drain = Progress("drain", await DrainAsync(options with { TaskHubName = TaskHubNames.Unique("drain") }, isShort ? 300 : 500));
        var drainCeiling = Progress("drain ceiling", await DrainCeilingAsync(drain.Depth));
        return new SettingsRow(setting, storage, oneCaller, oneEntity, sixteen, callCeiling, drain, drainCeiling);
    }

    private static T Progress<T>(string step, T row)
    {
        Console.WriteLine($"    {DateTime.UtcNow:HH:mm:ss} {step}: {row}");
        return row;
    }

    /// <summary>A backlog of <paramref name="depth"/> increments into one counter, sent with no worker running, then drained.</summary>
    public async Task<DrainRow> DrainAsync(EngineHostOptions options, int depth)
    {
        // A drain that has not finished in this time is recorded as 0/s (not exact) rather than ending the sweep.
        var throughput = new SignalThroughput(() => options, cpu, TimeSpan.FromSeconds(depth / 5.0 + 30));
        SignalResult result;
        try
        {
            result = await throughput.BacklogAsync(1, options.MaxEntityOperationBatchSize, depth, SenderTasks);
        }
        catch (TimeoutException)
        {
            return new DrainRow(depth, double.NaN, 0, double.NaN, double.NaN, Exact: false);
        }

        var applied = result.ApplyPerSecond * result.ApplySeconds;
        return new DrainRow(depth, result.ApplySeconds, result.ApplyPerSecond,
            Math.Round(result.EngineCores * result.ApplySeconds * 1000 / applied, 2),
            Math.Round(result.AzuriteCores * result.ApplySeconds * 1000 / applied, 2), result.Exact);
    }

    /// <summary>Fills a fresh queue with <paramref name="depth"/> messages, then empties it: receive 32, delete each, repeat.</summary>
    public async Task<DrainCeilingRow> DrainCeilingAsync(int depth)
    {
        var queue = new QueueClient(connectionString, $"drain{Guid.NewGuid():N}"[..20]);
        await queue.CreateAsync();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, SenderTasks).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < depth)
            {
                await queue.SendMessageAsync("x");
            }
        }));

        var (_, azuriteBefore) = cpu.Totals();
        var started = Stopwatch.GetTimestamp();
        var drained = 0;
        while (drained < depth)
        {
            var messages = (await queue.ReceiveMessagesAsync(maxMessages: 32)).Value;
            await Task.WhenAll(messages.Select(m => queue.DeleteMessageAsync(m.MessageId, m.PopReceipt)));
            drained += messages.Length;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (_, azuriteAfter) = cpu.Totals();
        await queue.DeleteAsync();
        return new DrainCeilingRow(depth, Math.Round(seconds, 2), Math.Round(depth / seconds, 0),
            Math.Round((azuriteAfter - azuriteBefore).TotalMilliseconds / depth, 2));
    }
}
