using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ServerlessGenServer.Engine;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.EngineBenchmarks;

// dotnet run -c Release --project bench/ServerlessGenServer.EngineBenchmarks [-- --short] [--calls | --settings | --soak | --ratelimit | --readonly]
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

if (args.Contains("--settings"))
{
    // Engine settings host.json can set, one fresh task hub per setting, the same load each time; "as shipped" first and
    // last, so drift from the other load on the machine shows. The in-memory Azurite is a second emulator of its own.
    var sweep = new SettingsSweep(azurite.ConnectionString, cpu, isShort);
    (string Name, Func<EngineHostOptions, EngineHostOptions> Apply)[] variants =
    [
        ("as shipped", o => o),
        ("partitionCount 1", o => o with { PartitionCount = 1 }),
        ("partitionCount 16", o => o with { PartitionCount = 16 }),
        ("maxEntityOperationBatchSize 200", o => o with { MaxEntityOperationBatchSize = 200 }),
        ("maxQueuePollingInterval 0.1 s", o => o with { MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100) }),
        ("controlQueueBufferThreshold 256", o => o with { ControlQueueBufferThreshold = 256 }),
    ];
    var rows = new List<SettingsRow>();
    foreach (var (name, apply) in args.Contains("--memory-only") ? [] : variants)
    {
        Console.WriteLine($"settings: {name}...");
        rows.Add(await sweep.RunAsync(name, "disk", apply(NewOptions() with { ExtraServers = [typeof(Tally)] })));
        Console.WriteLine($"  {rows[^1]}");
    }

    await using (var inMemory = await AzuriteServer.StartAsync(inMemoryPersistence: true))
    {
        Console.WriteLine("settings: as shipped, Azurite --inMemoryPersistence...");
        var memoryCpu = CpuMeter.ForAzurite(FormattableString.Invariant($"--queuePort {inMemory.QueuePort} "));
        var memorySweep = new SettingsSweep(inMemory.ConnectionString, memoryCpu, isShort);
        rows.Add(await memorySweep.RunAsync("as shipped", "memory", NewOptions() with { ConnectionString = inMemory.ConnectionString, ExtraServers = [typeof(Tally)] }));
        Console.WriteLine($"  {rows[^1]}");
    }

    Report.PrintSettings(rows);
    await WriteResultsAsync($"settings-{mode}.json", new { Mode = mode, Date = DateTimeOffset.UtcNow, LoadAverage = LoadAverage(), Rows = rows });
    return;
}

if (args.Contains("--soak"))
{
    // 10,000 calls to one entity (the CI soak test does 2,000), then its drained backlogs at 500 and 5,000 beside Azurite's.
    var soakCalls = isShort ? 2_000 : 10_000;
    SoakResult soak;
    await using (var soakHost = await EngineHost.StartAsync(NewOptions() with { ExtraServers = [typeof(Tally)] }))
    {
        await new CallComparison(soakHost, cpu).RunAsync("new", 50, 8, 1);
        Console.WriteLine($"soak: {soakCalls} calls, 16 callers, one entity...");
        soak = await new CallSoak(soakHost, azurite.ConnectionString, cpu).RunAsync(soakCalls, 16);
        Console.WriteLine($"  {soak}");
    }

    var sweep = new SettingsSweep(azurite.ConnectionString, cpu, isShort);
    var drains = new List<object>();
    foreach (var depth in isShort ? new[] { 500 } : [500, 5_000])
    {
        Console.WriteLine($"drain: {depth} signals into one entity, then Azurite's own drain at that depth...");
        var drain = await sweep.DrainAsync(NewOptions(), depth);
        var ceiling = await sweep.DrainCeilingAsync(depth);
        drains.Add(new { Drain = drain, Ceiling = ceiling, OfLimit = Math.Round(drain.PerSecond / ceiling.MessagesPerSecond, 2) });
        Console.WriteLine($"  {drain}{Environment.NewLine}  {ceiling}");
    }

    Report.PrintSoak(soak);
    await WriteResultsAsync($"soak-{mode}.json", new { Mode = mode, Date = DateTimeOffset.UtcNow, LoadAverage = LoadAverage(), Soak = soak, Drains = drains });
    return;
}

if (args.Contains("--readonly"))
{
    // Counter value as a call and as a read-only call, interleaved in one run on one host.
    await using var readHost = await EngineHost.StartAsync(NewOptions());
    const long Expected = 42;
    await readHost.Client.Entities.SignalEntityAsync(new("counter", ReadOnlyComparison.Key), "Increment", Expected);
    var comparison = new ReadOnlyComparison(readHost, cpu);
    while ((await comparison.RunAsync("readonly", 1, 1, Expected)).Failed > 0)
    {
        await Task.Delay(100); // until the increment is committed
    }

    await comparison.RunAsync("call", 20, 1, Expected);
    await comparison.RunAsync("readonly", 200, 8, Expected);
    var rows = new List<ReadOnlyRow>();
    var (oneCall, oneRead, manyCall, manyRead) = isShort ? (40, 300, 300, 4_000) : (100, 1_000, 1_000, 20_000);
    foreach (var (readPathKind, n, concurrency) in new[]
    {
        ("call", oneCall, 1), ("readonly", oneRead, 1), ("call", manyCall, 32), ("readonly", manyRead, 32),
    })
    {
        Console.WriteLine($"readonly: {readPathKind} path, {n} calls, concurrency {concurrency}...");
        var row = await comparison.RunAsync(readPathKind, n, concurrency, Expected);
        rows.Add(row);
        Console.WriteLine($"  {row}");
    }

    var readPath = Path.Combine(RepositoryRoot.Find(), "bench", "results", $"readonly-{mode}.json");
    await File.WriteAllTextAsync(readPath, JsonSerializer.Serialize(new { Mode = mode, Date = DateTimeOffset.UtcNow, Rows = rows },
        new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n");
    Console.WriteLine($"Results: {readPath}");
    return;
}

if (args.Contains("--calls"))
{
    // Old call path against the new one, interleaved in one run, with Azurite's ceiling beside them.
    await using var callHost = await EngineHost.StartAsync(NewOptions() with { ExtraServers = [typeof(Stamp), typeof(Tally)] });
    var comparison = new CallComparison(callHost, cpu);
    var count = isShort ? 300 : 1_000;
    await comparison.RunAsync("new", 20, 1, 1);
    await comparison.RunAsync("old", 20, 1, 1);
    var rows = new List<object>();
    foreach (var (concurrency, entities, n) in new[] { (1, 1, count / 5), (32, 1, count), (32, 16, count) })
    {
        foreach (var callPath in new[] { "old", "new" })
        {
            Console.WriteLine($"calls: {callPath} path, {n} calls, concurrency {concurrency}, {entities} entities...");
            var row = await comparison.RunAsync(callPath, n, concurrency, entities);
            rows.Add(row);
            Console.WriteLine($"  {row}");
        }

        var ceiling = await CallComparison.CeilingAsync(azurite.ConnectionString, cpu, isShort ? 1_000 : 3_000, concurrency);
        rows.Add(ceiling);
        Console.WriteLine($"  {ceiling}");
    }

    var callsPath = Path.Combine(RepositoryRoot.Find(), "bench", "results", $"calls-{mode}.json");
    await File.WriteAllTextAsync(callsPath, JsonSerializer.Serialize(new { Mode = mode, Date = DateTimeOffset.UtcNow, Rows = rows },
        new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n");
    Console.WriteLine($"Results: {callsPath}");
    return;
}

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

static string? LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;

static async Task WriteResultsAsync(string fileName, object results)
{
    var path = Path.Combine(RepositoryRoot.Find(), "bench", "results", fileName);
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n");
    Console.WriteLine($"Results: {path}");
}
