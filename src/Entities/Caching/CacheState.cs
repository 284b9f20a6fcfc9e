using System.Text.Json;
using System.Text.Json.Serialization;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Caching;

/// <summary>
/// A cache's state: its entries in recency order (least recently used first), the running total of their stored
/// size, and counters; the cleanup timer is kept by the runtime. Bounded by <see cref="CacheOptions.MaxEntries"/> and
/// <see cref="CacheOptions.MaxStateBytes"/>; every other member has a fixed size.
/// </summary>
public sealed record CacheState
{
    public List<CacheEntry> Entries { get; init; } = [];

    /// <summary>The sum of the entries' <see cref="CacheEntry.StoredSize"/>.</summary>
    public int Bytes { get; set; }

    public long Hits { get; set; }

    public long Misses { get; set; }

    public long Evictions { get; set; }

    public long Expired { get; set; }

    /// <summary>The warm-up (handle_continue) has run.</summary>
    public bool WarmedUp { get; set; }
}

/// <summary>One cached value; <see cref="ExpiresAt"/> is null for an entry without a TTL.</summary>
public sealed record CacheEntry(
    string Key,
    JsonElement Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ExpiresAt = null)
{
    /// <summary>
    /// The characters this entry adds to the state as the task hub stores it: its JSON, a separating comma, and one
    /// more character for every quote and backslash, because the runtime nests the state, as a JSON string, inside
    /// its own JSON before writing it to the table row. The state is written with the default encoder, which escapes
    /// every non-ASCII character, so bytes and characters are the same count.
    /// </summary>
    public int StoredSize()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, GenServerJson.Options).AsSpan();
        return json.Length + 1 + json.Count((byte)'"') + json.Count((byte)'\\');
    }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;
}

/// <summary>The reply of <see cref="Cache.Stats"/>.</summary>
public sealed record CacheStats(
    int Entries, int Bytes, int MaxEntries, int MaxStateBytes, long Hits, long Misses, long Evictions, long Expired,
    bool WarmedUp, bool CleanupRunning);
