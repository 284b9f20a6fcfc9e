using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Caching;

/// <summary>
/// The seed's state management: a key/value cache with a TTL per entry, periodic cleanup (handle_info(:cleanup)),
/// an LRU bound, and a warm-up that runs through handle_continue so that init stays fast.
/// <c>put</c> and <c>delete</c> are casts; <c>get</c> is a call; <c>peek</c> and <c>stats</c> are read-only calls.
/// </summary>
/// <remarks>
/// Lookups scan the entry list: it holds at most <see cref="CacheOptions.MaxEntries"/> entries and the state is
/// deserialized for every batch anyway, so a list in recency order is the simplest correct LRU.
/// </remarks>
[Offer]
public sealed partial class Cache(TimeProvider time, IOptions<CacheOptions> options, ILogger<Cache> logger)
    : GenServer<CacheState>(time, logger)
{
    /// <summary>The cache's one timer: periodic while entries with a TTL exist.</summary>
    public const string CleanupTimer = "cleanup";

    private readonly CacheOptions _options = options.Value;

    protected override TimeSpan? StopAfterIdle => _options.StopAfterIdle;

    /// <summary>handle_cast({:put, key, value, ttl}): stores or replaces an entry as the most recently used one.</summary>
    /// <exception cref="ValidationException">The value is larger than <see cref="CacheOptions.MaxValueBytes"/>.</exception>
    public void Put(PutRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var value = request.Value ?? throw new ValidationException("The value is required.");
        var valueBytes = JsonSerializer.SerializeToUtf8Bytes(value, GenServerJson.Options).Length;
        if (valueBytes > _options.MaxValueBytes)
        {
            LogValueTooLarge(Logger, Context.Id, request.Key, valueBytes, _options.MaxValueBytes);
            throw new ValidationException($"The value has {valueBytes} bytes of JSON; the most is {_options.MaxValueBytes}.");
        }

        Remove(request.Key);
        var entry = new CacheEntry(request.Key, value, request.TtlMs is { } ttl ? Now.AddMilliseconds(ttl) : null);
        State.Entries.Add(entry);
        State.Bytes += entry.StoredSize();
        Trim();
        if (entry.ExpiresAt is not null && TimerDue(CleanupTimer) is null)
        {
            StartPeriodicTimer(CleanupTimer, _options.CleanupInterval, nameof(Cleanup));
        }
    }

    /// <summary>
    /// handle_call({:get, key}): the value, or null when missing or expired (even before cleanup has run). Not read-only:
    /// a hit makes the entry the most recently used (the LRU order) and counts, a miss counts; use <see cref="Peek"/> to read only.
    /// </summary>
    public JsonElement? Get([Required, StringLength(PutRequest.MaxKeyLength, MinimumLength = 1)] string key)
    {
        var index = State.Entries.FindIndex(e => e.Key == key);
        if (index < 0 || State.Entries[index].IsExpired(Now))
        {
            if (index >= 0)
            {
                RemoveAt(index);
                State.Expired++;
            }

            State.Misses++;
            return null;
        }

        // Most recently used goes last.
        var entry = State.Entries[index];
        State.Entries.RemoveAt(index);
        State.Entries.Add(entry);
        State.Hits++;
        return entry.Value;
    }

    /// <summary>
    /// handle_call({:peek, key}): the value, or null when missing or expired, as the state last saved holds it. Unlike
    /// <see cref="Get"/> it leaves the entry's recency and the hit and miss counts alone, so it is read-only: answered
    /// without a turn of the cache, it does not see puts still queued.
    /// </summary>
    [ReadOnly]
    public JsonElement? Peek([Required, StringLength(PutRequest.MaxKeyLength, MinimumLength = 1)] string key) =>
        State.Entries.Find(e => e.Key == key) is { } entry && !entry.IsExpired(Now) ? entry.Value : null;

    /// <summary>
    /// handle_cast({:delete, key}): removes an entry. Without a key it stops the cache (deletes its whole state), as the
    /// entity runtime's own <c>delete</c> does for every other GenServer, so <c>DELETE /api/servers/cache/{key}</c> still works.
    /// </summary>
    public void Delete([StringLength(PutRequest.MaxKeyLength, MinimumLength = 1)] string? key = null)
    {
        if (key is null)
        {
            StopServer();
            return;
        }

        Remove(key);
    }

    /// <summary>handle_call(:stats).</summary>
    [ReadOnly]
    public CacheStats Stats() => new(
        State.Entries.Count, State.Bytes, _options.MaxEntries, _options.MaxStateBytes, State.Hits, State.Misses,
        State.Evictions, State.Expired, State.WarmedUp, TimerDue(CleanupTimer) is not null);

    /// <summary>handle_info(:cleanup): removes expired entries; the timer stops when no entry with a TTL remains.</summary>
    [HandleInfo]
    public void Cleanup()
    {
        var removed = RemoveExpired();
        if (removed > 0)
        {
            LogCleaned(Logger, Context.Id, removed);
        }

        if (!State.Entries.Exists(e => e.ExpiresAt is not null))
        {
            CancelTimer(CleanupTimer);
        }
    }

    /// <summary>
    /// handle_continue(:warm_up): preloads the configured entries, once. Messages queued before it ran first, so it
    /// never replaces an entry a client has put already.
    /// </summary>
    [HandleInfo]
    public void WarmUp()
    {
        if (State.WarmedUp)
        {
            return;
        }

        var loaded = 0;
        foreach (var (key, text) in _options.WarmUp.Entries)
        {
            if (!State.Entries.Exists(e => e.Key == key))
            {
                var entry = new CacheEntry(key, JsonSerializer.SerializeToElement(text, GenServerJson.Options));
                State.Entries.Add(entry);
                State.Bytes += entry.StoredSize();
                loaded++;
            }
        }

        Trim();
        State.WarmedUp = true;
        LogWarmedUp(Logger, Context.Id, loaded);
    }

    /// <summary>init: an empty cache. The warm-up, if any is configured, is scheduled, not run here.</summary>
    protected override CacheState Init()
    {
        if (_options.WarmUp.Entries.Count == 0)
        {
            return new CacheState { WarmedUp = true };
        }

        Continue(nameof(WarmUp));
        return new CacheState();
    }

    /// <summary>Version 0 kept its own cleanup chain (<c>cleanupChain</c>); the timer takes over while entries have a TTL.</summary>
    protected override CacheState CodeChange(int fromVersion, JsonElement state)
    {
        var upgraded = base.CodeChange(fromVersion, state);
        if (upgraded.Entries.Exists(e => e.ExpiresAt is not null))
        {
            StartPeriodicTimer(CleanupTimer, _options.CleanupInterval, nameof(Cleanup));
        }

        return upgraded;
    }

    // Expired entries go first, then the least recently used, until both bounds hold.
    private void Trim()
    {
        RemoveExpired();
        while (State.Entries.Count > _options.MaxEntries || State.Bytes > _options.MaxStateBytes)
        {
            RemoveAt(0);
            State.Evictions++;
        }
    }

    private int RemoveExpired()
    {
        var now = Now;
        var removed = 0;
        for (var i = State.Entries.Count - 1; i >= 0; i--)
        {
            if (State.Entries[i].IsExpired(now))
            {
                RemoveAt(i);
                removed++;
            }
        }

        State.Expired += removed;
        return removed;
    }

    private void Remove(string key)
    {
        var index = State.Entries.FindIndex(e => e.Key == key);
        if (index >= 0)
        {
            RemoveAt(index);
        }
    }

    private void RemoveAt(int index)
    {
        State.Bytes -= State.Entries[index].StoredSize();
        State.Entries.RemoveAt(index);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cache {EntityId} refused key '{Key}': its value has {Bytes} bytes, the most is {MaxBytes}")]
    private static partial void LogValueTooLarge(ILogger logger, EntityInstanceId entityId, string key, int bytes, int maxBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache {EntityId} removed {Count} expired entries")]
    private static partial void LogCleaned(ILogger logger, EntityInstanceId entityId, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cache {EntityId} warmed up with {Count} entries")]
    private static partial void LogWarmedUp(ILogger logger, EntityInstanceId entityId, int count);
}
