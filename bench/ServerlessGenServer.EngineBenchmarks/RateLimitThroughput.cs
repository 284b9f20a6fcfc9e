using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>One rate-limit phase: checks through the HTTP function class for a fixed time.</summary>
public sealed record RateLimitRow(
    string Path, string Keys, int Callers, double Seconds, int Checks, double ChecksPerSecond, Stats LatencyMs,
    int Admitted, double Bound, int OverAdmitted, int Errors, double EngineCpuMsPerCheck, double AzuriteCpuMsPerCheck);

/// <summary>The memory of the in-memory path with many keys.</summary>
public sealed record LocalMemoryRow(int Keys, long MeasuredBytes, double MeasuredBytesPerKey, long EstimatedBytes);

/// <summary>
/// <c>POST /api/ratelimit/{key}</c> through <see cref="RateLimitApi"/> (a real DefaultHttpContext, the answer executed
/// into the response as the host would), with the plain call path and with the in-memory path, in the same run.
/// </summary>
public sealed class RateLimitThroughput(EngineHost host, CpuMeter cpu)
{
    private static readonly GenServerClient GenServers = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);
    private readonly IOptions<RateLimiterOptions> _options = host.Services.GetRequiredService<IOptions<RateLimiterOptions>>();

    public async Task<RateLimitRow> RunAsync(bool local, int keyCount, int callers, TimeSpan duration)
    {
        var api = new RateLimitApi(GenServers, _options,
            local ? new LocalRateLimiter(TimeProvider.System, _options, Options.Create(new LocalRateLimitOptions()), GenServers) : null);
        var prefix = $"{(local ? "local" : "plain")}-{keyCount}-{Guid.NewGuid():N}"[..24];
        var latencies = new List<double>[callers];
        var admittedByKey = new Dictionary<string, int>[callers];
        var errors = 0;
        using var stop = new CancellationTokenSource(duration);
        cpu.Start();
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            var mine = latencies[caller] = [];
            var admitted = admittedByKey[caller] = [];
            while (!stop.IsCancellationRequested)
            {
                var key = keyCount == 1 ? prefix : $"{prefix}-{random.Next(keyCount)}";
                var sent = Stopwatch.GetTimestamp();
                var status = await CheckAsync(api, key);
                mine.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                if (status == 200)
                {
                    admitted[key] = admitted.GetValueOrDefault(key) + 1;
                }
                else if (status != 429)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (engineCores, azuriteCores) = cpu.Stop();

        // Each key's admissions against one exact bucket over the whole phase: capacity + refill x elapsed.
        var o = _options.Value;
        var bound = o.Capacity + (o.RefillPerSecond * seconds);
        var perKey = admittedByKey.SelectMany(d => d).GroupBy(p => p.Key, p => p.Value).Select(g => g.Sum()).ToList();
        var over = perKey.Sum(n => Math.Max(0, n - (int)Math.Floor(bound)));
        var checks = latencies.Sum(l => l.Count);
        return new RateLimitRow(local ? "in-memory" : "call", keyCount == 1 ? "1 hot key" : $"{keyCount:N0} uniform", callers,
            Math.Round(seconds, 1), checks, Math.Round(checks / seconds, 1), Stats.Of(latencies.SelectMany(l => l).ToList()),
            perKey.Sum(), Math.Round(bound * (keyCount == 1 ? 1 : perKey.Count), 1), over, errors,
            Math.Round(engineCores * seconds * 1000 / checks, 3), Math.Round(azuriteCores * seconds * 1000 / checks, 3));
    }

    /// <summary>Fills one worker's path with <paramref name="keys"/> keys (a shard that answers at once) and measures the heap it holds.</summary>
    public async Task<LocalMemoryRow> MemoryAsync(int keys)
    {
        var limiter = new LocalRateLimiter(TimeProvider.System, _options, Options.Create(new LocalRateLimitOptions { MaxKeys = keys }));
        var reply = JsonSerializer.SerializeToElement(new GrantReply(new CheckReply(false, 0, 10, 500, 5_000), 0, 0), GenServerJson.Options);
        ShardCall shard = (_, _) => Task.FromResult(CallResult.Replied("call-x", reply));
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < keys; i++)
        {
            await limiter.CheckAsync($"user-{i:D6}", 1, shard);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(limiter);
        return new LocalMemoryRow(keys, after - before, Math.Round((after - before) / (double)keys, 1), limiter.Bytes);
    }

    private async Task<int> CheckAsync(RateLimitApi api, string key)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = $"/api/ratelimit/{key}";
        context.Request.QueryString = new QueryString("?timeoutMs=30000");
        context.Response.Body = Stream.Null;
        var result = await api.Check(context.Request, host.Client, key);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        return context.Response.StatusCode;
    }
}
