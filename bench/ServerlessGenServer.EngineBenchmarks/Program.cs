using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ServerlessGenServer.Engine;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.EngineBenchmarks;

// dotnet run -c Release --project bench/ServerlessGenServer.EngineBenchmarks [-- --short]
// Starts Azurite (installing it from package.json if needed) and the engine host; writes bench/results/engine-{mode}.json.
// With --ratelimit it runs only the rate-limit phases (bench/results/ratelimit-{mode}.json).
var isShort = args.Contains("--short");
var mode = isShort ? "short" : "full";
const int SenderTasks = 32;

Console.WriteLine($"Engine benchmark ({mode}): starting Azurite...");
await using var azurite = await AzuriteServer.StartAsync();
var cpu = CpuMeter.ForAzurite(azurite.DataDirectory);
EngineHostOptions NewOptions() => new()
{
    ConnectionString = azurite.ConnectionString,
    TaskHubName = TaskHubNames.Unique("bench"),
    ExtraServers = [typeof(Stamp)],
};

if (args.Contains("--ratelimit"))
{
    // dotnet run -c Release --project bench/ServerlessGenServer.EngineBenchmarks -- --ratelimit [--short]
    await RateLimitBench.RunAsync(NewOptions(), cpu, isShort);
    return;
}

var throughput = new SignalThroughput(NewOptions, cpu);
var signals = new List<SignalResult>();
(string Mode, int Entities, int Batch, int Signals)[] plan = isShort
    ?
    [
        ("backlog", 1, 50, 1_000), ("backlog", 1, 5_000, 1_000), ("backlog", 1, 1, 300),
        ("backlog", 16, 50, 1_000), ("live", 1, 50, 500),
    ]
    :
    [
        ("backlog", 1, 50, 5_000), ("backlog", 1, 5_000, 5_000), ("backlog", 1, 1, 1_000),
        ("backlog", 16, 50, 5_000), ("backlog", 16, 5_000, 5_000), ("backlog", 16, 1, 1_000),
        ("live", 1, 50, 2_000), ("live", 16, 50, 2_000),
    ];
foreach (var (kind, entities, batch, count) in plan)
{
    Console.WriteLine($"signals: {kind}, {entities} entities, batch {batch}, {count} signals...");
    var result = kind == "backlog"
        ? await throughput.BacklogAsync(entities, batch, count, SenderTasks)
        : await throughput.LiveAsync(entities, batch, count, SenderTasks);
    signals.Add(result);
    Console.WriteLine($"  {result}");
}

var calls = new List<CallResultRow>();
var lateness = new List<LatenessResult>();
await using (var host = await EngineHost.StartAsync(NewOptions()))
{
    var latency = new CallLatency(host);
    for (var i = 0; i < 5; i++)
    {
        await latency.CallOnceAsync(); // warm-up: leases, the orchestrator, the entity
    }

    foreach (var (count, concurrency) in isShort ? new[] { (40, 1), (80, 8) } : [(200, 1), (400, 8), (400, 32)])
    {
        Console.WriteLine($"calls: {count} with concurrency {concurrency}...");
        var row = await latency.RunAsync(count, concurrency);
        calls.Add(row);
        Console.WriteLine($"  {row}");
    }

    var scheduled = new ScheduledLateness(host);
    var messages = isShort ? 5 : 20;
    Console.WriteLine($"scheduled: {messages} client signals and {messages} SendAfter, +3 s...");
    lateness.Add(await scheduled.ClientSignalsAsync(messages, 3_000));
    lateness.Add(await scheduled.SendAfterAsync(messages, 3_000));
}

var machine = new
{
    Cpu = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim()
        : null,
    Cores = Environment.ProcessorCount,
    Os = RuntimeInformation.OSDescription,
    Dotnet = RuntimeInformation.FrameworkDescription,
    LoadAverage = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null,
};
var defaults = NewOptions();
var settings = new
{
    defaults.PartitionCount,
    MaxQueuePollingIntervalMs = defaults.MaxQueuePollingInterval.TotalMilliseconds,
    SenderTasks,
    ProgressPollMs = SignalThroughput.PollInterval.TotalMilliseconds,
};

Report.Print(signals, calls, lateness);
var path = Path.Combine(RepositoryRoot.Find(), "bench", "results", $"engine-{mode}.json");
Directory.CreateDirectory(Path.GetDirectoryName(path)!);
await File.WriteAllTextAsync(path, JsonSerializer.Serialize(
    new { Mode = mode, Date = DateTimeOffset.UtcNow, Machine = machine, Settings = settings, Signals = signals, Calls = calls, Lateness = lateness },
    new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Results: {path}"));
