using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ServerlessGenServer.Benchmarks;
using ServerlessGenServer.Benchmarks.Support;

// dotnet run -c Release --project bench/ServerlessGenServer.Benchmarks [-- --short] [-- --filter '*RateLimiter*']
// A run with --filter writes micro-{mode}-partial.json, so it never replaces the complete results.
// Runs in process (no generated project to build): the GC is the workstation GC of this program.
var isShort = args.Contains("--short");
var rest = args.Where(a => a != "--short").ToList();
var isPartial = rest.Contains("--filter");
if (!isPartial)
{
    rest.AddRange(["--filter", "*"]);
}

var job = isShort
    ? new Job("Short").WithWarmupCount(1).WithIterationCount(3).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150))
    : new Job("Full").WithWarmupCount(3).WithIterationCount(15);
var config = DefaultConfig.Instance
    .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(StatisticColumn.OperationsPerSecond)
    .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared))
    .WithOptions(ConfigOptions.JoinSummary);

var summaries = BenchmarkSwitcher.FromAssembly(typeof(CounterBatchBenchmarks).Assembly).Run([.. rest], config).ToList();
var path = ResultsFile.Write(summaries, (isShort ? "short" : "full") + (isPartial ? "-partial" : ""));
Console.WriteLine($"Results: {path}");
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
