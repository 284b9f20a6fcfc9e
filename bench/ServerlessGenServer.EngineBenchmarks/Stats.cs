namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>Summary statistics of a sample, with nearest-rank percentiles.</summary>
public sealed record Stats(int Count, double Min, double P50, double P95, double P99, double Max, double Mean)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = values.Order().ToArray();
        return new Stats(sorted.Length, Round(sorted[0]), Round(Percentile(sorted, 50)), Round(Percentile(sorted, 95)),
            Round(Percentile(sorted, 99)), Round(sorted[^1]), Round(sorted.Average()));
    }

    /// <summary>Nearest rank: the smallest value with at least <paramref name="percent"/>% of the sample at or below it.</summary>
    public static double Percentile(double[] sorted, double percent)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    private static double Round(double value) => Math.Round(value, 1);
}
