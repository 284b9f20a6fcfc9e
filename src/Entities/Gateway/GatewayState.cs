using ServerlessGenServer.Entities.GenServers.Deferred;

namespace ServerlessGenServer.Entities.Gateway;

/// <summary>
/// A gateway's state: cached values in recency order (least recently used first), the fetches in flight with the
/// calls waiting for each, and counters. Bounded by <see cref="GatewayOptions.MaxEntries"/>, by the server's task
/// limit (fetches) and by its pending-reply limit (waiters).
/// </summary>
public sealed record GatewayState
{
    public List<GatewayEntry> Entries { get; init; } = [];

    public List<GatewayFetch> Fetches { get; init; } = [];

    public long Hits { get; set; }

    public long Misses { get; set; }

    /// <summary>Misses that joined a fetch already running instead of starting one.</summary>
    public long Coalesced { get; set; }

    public long FetchesStarted { get; set; }

    public long FetchesFailed { get; set; }
}

/// <summary>One cached backend answer.</summary>
public sealed record GatewayEntry(string Path, string Value, DateTimeOffset ExpiresAt);

/// <summary>A fetch in flight: its task, and the calls that wait for its value.</summary>
public sealed record GatewayFetch(string Path, string TaskId, List<ReplyToken> Waiters);

/// <summary>The reply of <see cref="Gateway.Stats"/>.</summary>
public sealed record GatewayStats(int Entries, int FetchesInFlight, int Waiting, long Hits, long Misses, long Coalesced, long FetchesStarted, long FetchesFailed);
