using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Ticking;

/// <summary>
/// A ticker's state. <see cref="Chain"/> and <see cref="Seq"/> name the one tick the ticker waits for; any other
/// tick (a duplicate, one of an earlier chain, one sent before a stop) does nothing.
/// </summary>
/// <param name="Running">A chain is armed.</param>
/// <param name="IntervalMs">The time between ticks.</param>
/// <param name="Ticks">Ticks counted since the last start.</param>
/// <param name="MaxTicks">The chain ends after this many ticks; null for no end.</param>
/// <param name="Chain">The running chain's id; null when stopped.</param>
/// <param name="Seq">The sequence number of the awaited tick (1 for the first tick of a chain).</param>
/// <param name="NextTickAt">When the awaited tick is due.</param>
public sealed record TickerState(
    bool Running = false,
    long IntervalMs = 0,
    long Ticks = 0,
    long? MaxTicks = null,
    string? Chain = null,
    long Seq = 0,
    DateTimeOffset? NextTickAt = null) : GenServerState;

/// <summary>The reply of <see cref="Ticker.Status"/>.</summary>
public sealed record TickerStatus(bool Running, long IntervalMs, long Ticks, long? MaxTicks, string? Chain, DateTimeOffset? NextTickAt);
