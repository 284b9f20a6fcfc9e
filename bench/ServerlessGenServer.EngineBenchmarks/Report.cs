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

    public static void PrintSettings(IEnumerable<SettingsRow> rows)
    {
        Console.WriteLine();
        Console.WriteLine("| setting | Azurite | 1 caller p50 ms | 32 callers, 1 entity: calls/s | p99 ms | CPU ms/call (this process + Azurite) | of limit | 32 callers, 16 entities: calls/s | p99 ms | CPU ms/call | of limit | queue ceiling req/s (Azurite ms/req) | drain 1 entity: signals/s | CPU ms/signal | Azurite drain limit/s (ms/msg) | of limit |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            Console.WriteLine(F($"| {r.Setting} | {r.Storage} | {r.OneCaller.LatencyMs.P50:N0} | {r.OneEntity.CallsPerSecond:N1} | {r.OneEntity.LatencyMs.P99:N0} | {Cpu(r.OneEntity)} | {r.OneEntityOfLimit:P0} | {r.SixteenEntities.CallsPerSecond:N1} | {r.SixteenEntities.LatencyMs.P99:N0} | {Cpu(r.SixteenEntities)} | {r.SixteenEntitiesOfLimit:P0} | {r.CallCeiling.RequestsPerSecond:N0} ({r.CallCeiling.AzuriteCpuMsPerRequest:0.00}) | {r.Drain.PerSecond:N0}{(r.Drain.Exact ? "" : " (inexact)")} | {r.Drain.ClientAndEngineCpuMsPerSignal:0.0} + {r.Drain.AzuriteCpuMsPerSignal:0.0} | {r.DrainCeiling.MessagesPerSecond:N0} ({r.DrainCeiling.AzuriteCpuMsPerMessage:0.00}) | {r.DrainOfLimit:P0} |"));
        }

        static string Cpu(CallPathRow row) => F($"{row.ClientAndEngineCpuMsPerCall:0.0} + {row.AzuriteCpuMsPerCall:0.0}{(row.Failed > 0 ? $" ({row.Failed} failed)" : "")}");
    }

    public static void PrintSoak(SoakResult soak)
    {
        Console.WriteLine();
        Console.WriteLine(F($"{soak.Calls:N0} calls, {soak.Callers} callers, {soak.Seconds:0.0} s, {soak.CallsPerSecond:N1} calls/s; quarters {string.Join(" / ", soak.QuarterRates)} calls/s (last/first {soak.LastOverFirst:0.00}); CPU ms/call {soak.ClientAndEngineCpuMsPerCall:0.0} + {soak.AzuriteCpuMsPerCall:0.0}; replies exact: {soak.RepliesExact}"));
        Console.WriteLine("| calls | stored input chars | history rows | history chars | largemessages bytes |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var s in soak.Sizes)
        {
            Console.WriteLine(F($"| {s.Calls:N0} | {s.InputChars:N0} | {s.HistoryRows} | {s.HistoryChars:N0} | {s.LargeMessageBytes:N0} |"));
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
