using System.Globalization;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>Prints the engine benchmark's tables as Markdown, ready for docs/benchmarks.md.</summary>
public static class Report
{
    public static void Print(IEnumerable<SignalResult> signals, IEnumerable<CallResultRow> calls, IEnumerable<LatenessResult> lateness)
    {
        Console.WriteLine();
        Console.WriteLine("| mode | entities | batch size | signals | send/s (32 tasks) | worker start-up s | apply s | applied/s | engine cores | Azurite cores | exact |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var s in signals)
        {
            Console.WriteLine(F($"| {s.Mode} | {s.Entities} | {s.BatchSize:N0} | {s.Signals:N0} | {s.SendPerSecond:N0} | {(s.Mode == "live" ? "-" : s.StartupSeconds.ToString("0.0", CultureInfo.InvariantCulture))} | {s.ApplySeconds:0.0} | {s.ApplyPerSecond:N0} | {s.EngineCores:0.00} | {s.AzuriteCores:0.00} | {s.Exact} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| concurrency | calls | p50 ms | p95 ms | p99 ms | max ms | calls/s | failed |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in calls)
        {
            Console.WriteLine(F($"| {c.Concurrency} | {c.Calls} | {c.LatencyMs.P50:N0} | {c.LatencyMs.P95:N0} | {c.LatencyMs.P99:N0} | {c.LatencyMs.Max:N0} | {c.CallsPerSecond:N1} | {c.Failed} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| scheduled by | messages | delay ms | lateness min ms | p50 ms | max ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var l in lateness)
        {
            Console.WriteLine(F($"| {l.Kind} | {l.Messages} | {l.DelayMs:N0} | {l.LatenessMs.Min:N0} | {l.LatenessMs.P50:N0} | {l.LatenessMs.Max:N0} |"));
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
