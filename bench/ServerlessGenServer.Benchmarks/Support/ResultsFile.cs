using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Reports;

namespace ServerlessGenServer.Benchmarks.Support;

/// <summary>Writes a run's figures to bench/results/micro-{mode}.json: one row per benchmark case, times per operation.</summary>
public static partial class ResultsFile
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Write(IReadOnlyList<Summary> summaries, string mode)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var rows = summaries.SelectMany(s => s.Reports).Where(r => r.Success && r.ResultStatistics is not null).Select(r => new Row(
            r.BenchmarkCase.Descriptor.Type.Name,
            r.BenchmarkCase.Descriptor.WorkloadMethod.Name,
            r.BenchmarkCase.Parameters.Items.ToDictionary(p => p.Name, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture)),
            BatchSize(r.BenchmarkCase.Descriptor.WorkloadMethod.Name),
            r.BenchmarkCase.Descriptor.Baseline,
            Math.Round(r.ResultStatistics!.Mean, 2),
            Math.Round(r.ResultStatistics.StandardError, 2),
            Math.Round(1e9 / r.ResultStatistics.Mean),
            r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase),
            null)).ToList();

        // Ratio to the baseline of the same class with the same parameters, per operation.
        rows = [.. rows.Select(row => rows.FirstOrDefault(b => b.IsBaseline && b.Class == row.Class && SameParams(b, row)) is { } baseline
            ? row with { RatioToBaseline = Math.Round(row.MeanNs / baseline.MeanNs, 2) }
            : row)];

        var document = new
        {
            Mode = mode,
            Date = DateTimeOffset.UtcNow,
            Machine = MachineInfo.Describe(),
            Results = rows,
        };
        var folder = Path.Combine(MachineInfo.RepositoryRoot(), "bench", "results");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"micro-{mode}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(document, Indented) + "\n");
        return path;
    }

    private static bool SameParams(Row a, Row b) =>
        a.Params.Count == b.Params.Count && a.Params.All(p => b.Params.TryGetValue(p.Key, out var v) && v == p.Value);

    private static int? BatchSize(string method) =>
        BatchSuffix().Match(method) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    [GeneratedRegex(@"_Batch(\d+)$")]
    private static partial Regex BatchSuffix();

    private sealed record Row(
        string Class, string Method, Dictionary<string, string?> Params, int? BatchSize, bool IsBaseline,
        double MeanNs, double StandardErrorNs, double OpsPerSecond, long? AllocatedBytesPerOp, double? RatioToBaseline);
}
