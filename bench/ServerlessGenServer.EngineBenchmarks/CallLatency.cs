using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>One call-latency measurement (milliseconds).</summary>
public sealed record CallResultRow(int Concurrency, int Calls, Stats LatencyMs, double CallsPerSecond, int Failed);

/// <summary>
/// GenServer.call latency through the app's own client: <see cref="GenServerClient.CallAsync"/> coalesces concurrent
/// calls into call orchestration runs under reused caller ids and polls each run with a growing delay (15 ms, ×1.5, up
/// to 250 ms). The call is counter <c>value</c> on a warm worker.
/// </summary>
public sealed class CallLatency(EngineHost host)
{
    private readonly GenServerClient _client = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);

    public async Task<CallResultRow> RunAsync(int calls, int concurrency)
    {
        var latencies = new ConcurrentBag<double>();
        var failed = 0;
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < calls)
            {
                var (ms, ok) = await CallOnceAsync();
                latencies.Add(ms);
                if (!ok)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new CallResultRow(concurrency, calls, Stats.Of(latencies), Math.Round(calls / seconds, 1), failed);
    }

    public async Task<(double Ms, bool Ok)> CallOnceAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var result = await _client.CallAsync(host.Client, new CallRequest("counter", "calls", "value"), TimeSpan.FromSeconds(30));
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.Status == CallStatus.Replied);
    }
}
