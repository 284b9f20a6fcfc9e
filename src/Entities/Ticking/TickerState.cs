namespace ServerlessGenServer.Entities.Ticking;

/// <summary>A ticker's state; its timer (and so the next tick's due time) is kept by the runtime.</summary>
/// <param name="Running">A chain is armed.</param>
/// <param name="IntervalMs">The time between ticks.</param>
/// <param name="Ticks">Ticks counted since the last start.</param>
/// <param name="MaxTicks">The chain ends after this many ticks; null for no end.</param>
/// <param name="Chain">The running chain's id (a new one per start); null when stopped.</param>
public sealed record TickerState(
    bool Running = false,
    long IntervalMs = 0,
    long Ticks = 0,
    long? MaxTicks = null,
    string? Chain = null);

/// <summary>The reply of <see cref="Ticker.Status"/>.</summary>
public sealed record TickerStatus(bool Running, long IntervalMs, long Ticks, long? MaxTicks, string? Chain, DateTimeOffset? NextTickAt);
