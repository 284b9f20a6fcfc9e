using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>One call path under one load: rate, latency, CPU per call of this process and of Azurite, entity state size.</summary>
public sealed record CallPathRow(
    string Path, int Concurrency, int Entities, int Calls, double CallsPerSecond, Stats LatencyMs,
    double ClientAndEngineCpuMsPerCall, double AzuriteCpuMsPerCall, int EntityStateChars, int Failed);

/// <summary>Azurite's own limit at the same concurrency: plain queue send + receive + delete from the storage SDK.</summary>
public sealed record AzuriteCeilingRow(int Concurrency, int Requests, double RequestsPerSecond, double AzuriteCpuMsPerRequest);

/// <summary>
/// The old call path (one orchestration per call under a new instance id, polled, then purged) against the new one
/// (<see cref="GenServerClient.CallAsync"/>: coalesced runs under reused caller ids), in the same run on the same host, with
/// the Azurite ceiling measured beside them. The call is tally <c>add</c> on a warm worker; engine and client share this process.
/// </summary>
public sealed class CallComparison(EngineHost host, CpuMeter cpu)
{
    private static readonly JsonElement One = JsonSerializer.SerializeToElement(1L, GenServerJson.Options);
    private readonly GenServerClient _client = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);

    public async Task<CallPathRow> RunAsync(string path, int calls, int concurrency, int entities)
    {
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var next = -1;
        var keys = Enumerable.Range(0, entities).Select(e => $"{path}-{concurrency}-{e}").ToArray();
        cpu.Start();
        var (engineBefore, azuriteBefore) = cpu.Totals();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls)
            {
                var request = new CallRequest("tally", keys[i % entities], "Add", One);
                var t = Stopwatch.GetTimestamp();
                var ok = path == "old" ? await OldCallAsync(request) : (await _client.CallAsync(host.Client, request, TimeSpan.FromSeconds(60))).Status == CallStatus.Replied;
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (!ok)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (engineAfter, azuriteAfter) = cpu.Totals();
        var states = await host.Service.GetOrchestrationStateAsync($"@tally@{keys[0]}", allExecutions: false);
        return new CallPathRow(path, concurrency, entities, calls, Math.Round(calls / seconds, 1), Stats.Of(latencies),
            Math.Round((engineAfter - engineBefore).TotalMilliseconds / calls, 2), Math.Round((azuriteAfter - azuriteBefore).TotalMilliseconds / calls, 2),
            states.FirstOrDefault()?.Input?.Length ?? 0, failed);
    }

    /// <summary>Plain SDK queue traffic at <paramref name="concurrency"/>: each worker sends, receives and deletes one message.</summary>
    public static async Task<AzuriteCeilingRow> CeilingAsync(string connectionString, CpuMeter cpu, int rounds, int concurrency)
    {
        var queue = new QueueClient(connectionString, $"ceiling{Guid.NewGuid():N}"[..20]);
        await queue.CreateAsync();
        var (_, azuriteBefore) = cpu.Totals();
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < rounds)
            {
                await queue.SendMessageAsync("x");
                var received = await queue.ReceiveMessageAsync();
                if (received.Value is { } message)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (_, azuriteAfter) = cpu.Totals();
        await queue.DeleteAsync();
        var requests = rounds * 3;
        return new AzuriteCeilingRow(concurrency, requests, Math.Round(requests / seconds, 0),
            Math.Round((azuriteAfter - azuriteBefore).TotalMilliseconds / requests, 3));
    }

    // The path before coalescing: a run per call under a fresh id, polled with the same growing delay, then purged.
    private async Task<bool> OldCallAsync(CallRequest request)
    {
        var instanceId = GenServerClient.CallIdPrefix + Guid.NewGuid().ToString("N");
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CallOrchestrator), new CallBatch([request]), new StartOrchestrationOptions(instanceId));
        var delay = TimeSpan.FromMilliseconds(15);
        while (true)
        {
            var instance = await host.Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
            if (instance is { IsCompleted: true })
            {
                await host.Client.PurgeInstanceAsync(instanceId);
                return instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed && instance.ReadOutputAs<CallOutcome[]>()![0].Ok;
            }

            await Task.Delay(delay);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, TimeSpan.FromMilliseconds(250).Ticks));
        }
    }
}
