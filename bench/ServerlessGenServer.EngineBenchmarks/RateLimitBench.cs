using System.Globalization;
using System.Text.Json;
using ServerlessGenServer.Engine;
using ServerlessGenServer.Engine.Hosting;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>The rate-limit phases: the call path and the in-memory path, one hot key and 10,000 uniform keys, 32 callers.</summary>
public static class RateLimitBench
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task RunAsync(EngineHostOptions options, CpuMeter cpu, bool isShort)
    {
        var mode = isShort ? "short" : "full";
        var duration = TimeSpan.FromSeconds(isShort ? 5 : 10);
        var rows = new List<RateLimitRow>();
        LocalMemoryRow memory;
        await using (var host = await EngineHost.StartAsync(options))
        {
            var bench = new RateLimitThroughput(host, cpu);
            await bench.RunAsync(local: false, keyCount: 1, callers: 4, TimeSpan.FromSeconds(2)); // warm-up
            foreach (var (local, keys) in new[] { (false, 1), (true, 1), (false, 10_000), (true, 10_000) })
            {
                Console.WriteLine($"ratelimit: {(local ? "in-memory" : "call")} path, {keys} keys, 32 callers, {duration.TotalSeconds} s...");
                var row = await bench.RunAsync(local, keys, callers: 32, duration);
                rows.Add(row);
                Console.WriteLine($"  {row}");
            }

            memory = await bench.MemoryAsync(10_000);
            Console.WriteLine($"  {memory}");
        }

        var path = Path.Combine(RepositoryRoot.Find(), "bench", "results", $"ratelimit-{mode}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(
            new
            {
                Mode = mode,
                Date = DateTimeOffset.UtcNow,
                LoadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
                Rows = rows,
                Memory = memory,
            },
            Json) + "\n");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Results: {path}"));
    }
}
