using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>One path of counter <c>value</c> under one load: rate, latency, CPU per call of this process and of Azurite.</summary>
public sealed record ReadOnlyRow(
    string Path, int Concurrency, int Calls, double CallsPerSecond, Stats LatencyMs,
    double ClientAndEngineCpuMsPerCall, double AzuriteCpuMsPerCall, int Failed);

/// <summary>
/// Counter <c>value</c>, a [ReadOnly] call, two ways in the same run on the same host: as a call (the client without the
/// app's services sends it through a call orchestration, as before) and read-only (the client with them reads the saved
/// state once and runs <c>value</c> on a copy). Both through <see cref="GenServerClient.CallAsync"/>; engine and client
/// share this process. Every reply is checked against the counter's known value.
/// </summary>
public sealed class ReadOnlyComparison(EngineHost host, CpuMeter cpu)
{
    public const string Key = "readonly";
    private readonly GenServerClient _call = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);
    private readonly GenServerClient _readOnly = new(TimeProvider.System, NullLogger<GenServerClient>.Instance, services: host.Services);

    public async Task<ReadOnlyRow> RunAsync(string path, int calls, int concurrency, long expected)
    {
        var client = path == "readonly" ? _readOnly : _call;
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var next = -1;
        var (engineBefore, azuriteBefore) = cpu.Totals();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < calls)
            {
                var t = Stopwatch.GetTimestamp();
                var result = await client.CallAsync(host.Client, new CallRequest("counter", Key, "Value"), TimeSpan.FromSeconds(60));
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (result.Status != CallStatus.Replied || result.Reply?.GetInt64() != expected)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (engineAfter, azuriteAfter) = cpu.Totals();
        return new ReadOnlyRow(path, concurrency, calls, Math.Round(calls / seconds, 1), Stats.Of(latencies),
            Math.Round((engineAfter - engineBefore).TotalMilliseconds / calls, 3),
            Math.Round((azuriteAfter - azuriteBefore).TotalMilliseconds / calls, 3), failed);
    }
}
