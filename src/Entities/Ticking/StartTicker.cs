using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.Ticking;

/// <summary>The input of <see cref="Ticker.Start"/>.</summary>
/// <param name="IntervalMs">Milliseconds between ticks: at least one second, at most a year.</param>
/// <param name="MaxTicks">Stop after this many ticks; null (the default) ticks until stopped.</param>
public sealed record StartTicker(
    [property: Range(Ticker.MinIntervalMs, Ticker.MaxIntervalMs)] long IntervalMs,
    [property: Range(1, long.MaxValue)] long? MaxTicks = null);
