using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// The seed's token-bucket rate limiter, one shard of it: the entity key is the shard number ("0" to Shards - 1)
/// and a shard holds the buckets of the keys that <see cref="RateLimitShards"/> maps to it.
/// </summary>
/// <remarks>
/// Tokens follow from elapsed time (the injected clock), so an answer never depends on when a refill ran. The
/// refill message is only compaction, sent by the shard's periodic timer (the runtime drops its stale and duplicate
/// firings), that drops buckets which are full again.
/// </remarks>
public sealed partial class RateLimiter(TimeProvider time, IOptions<RateLimiterOptions> options, ILogger<RateLimiter> logger)
    : GenServer<RateLimiterState>(time, logger)
{
    /// <summary>The sequence number the refill timer function sends: "re-arm the compaction timer if its firing was lost".</summary>
    public const long Poke = 0;

    /// <summary>The sequence number the compaction timer sends.</summary>
    public const long Compaction = 1;

    /// <summary>The shard's one timer: periodic while buckets exist.</summary>
    public const string CompactionTimer = "compact";

    private readonly RateLimiterOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    private long NowMs => Now.ToUnixTimeMilliseconds();

    /// <summary>handle_call({:check, key, cost}): takes <c>cost</c> tokens from the key's bucket if it has them.</summary>
    /// <exception cref="ValidationException">The cost is above the capacity, or the key belongs to another shard.</exception>
    public CheckReply Check(CheckRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureCheckable(request.Key, request.Cost);
        var now = NowMs;
        var tokens = Math.Min(
            State.Buckets.TryGetValue(request.Key, out var bucket) ? bucket.TokensAt(now, _options) : _options.Capacity,
            Ungranted(request.Key, now));
        var allowed = tokens + TokenBucket.Tolerance >= request.Cost;
        if (allowed)
        {
            tokens = Math.Max(0, tokens - request.Cost);
        }

        // A check always leaves the bucket below full (a cost is at least 1, a denial means it was short), so it is stored.
        Store(request.Key, tokens, now);
        return Reply(allowed, tokens, request.Cost);
    }

    /// <summary>
    /// handle_info(:refill): compaction. The shard's periodic timer sends it while buckets exist; the refill timer
    /// function sends <see cref="Poke"/>, which compacts and re-arms the timer only when its firing was lost (a whole
    /// interval overdue): a poke while the timer runs does nothing, so there is never a second chain.
    /// </summary>
    [HandleInfo]
    public void Refill([Range(0, long.MaxValue)] long sequence)
    {
        if (sequence == Poke && TimerIsAlive())
        {
            return;
        }

        PruneGrants(NowMs);
        var dropped = Compact(NowMs);
        LogCompacted(Logger, Context.Id.Key, dropped, State.Buckets.Count);
        if (State.Buckets.Count == 0)
        {
            CancelTimer(CompactionTimer);
            return;
        }

        StartTimerIfNone();
    }

    protected override RateLimiterState Init() => new();

    /// <summary>Version 0 kept its own refill chain (<c>q</c>, <c>d</c>); the timer takes over while buckets exist.</summary>
    protected override RateLimiterState CodeChange(int fromVersion, JsonElement state)
    {
        var upgraded = base.CodeChange(fromVersion, state);
        if (upgraded.Buckets.Count > 0)
        {
            StartTimerIfNone();
        }

        return upgraded;
    }

    // A timer is alive while its firing is not a whole interval overdue (scheduled messages can run a little late).
    private bool TimerIsAlive() => TimerDue(CompactionTimer) is { } due && Now <= due + _options.CompactionInterval;

    // Nothing to compact, nothing to schedule: an idle shard costs no messages until its next new bucket. A timer whose
    // firing is a whole interval overdue was lost (or is so late that a new arming may replace it: its firing is then stale).
    private void StartTimerIfNone()
    {
        if (TimerIsAlive())
        {
            return;
        }

        if (TimerDue(CompactionTimer) is { } due)
        {
            LogChainLost(Logger, Context.Id.Key, (long)(Now - due).TotalMilliseconds);
        }

        StartPeriodicTimer(CompactionTimer, _options.CompactionInterval, nameof(Refill), Compaction);
    }

    /// <summary>Drops the buckets that are full again (a full bucket answers like an absent one). Returns how many.</summary>
    private int Compact(long now)
    {
        var full = State.Buckets
            .Where(b => b.Value.TokensAt(now, _options) >= _options.Capacity)
            .Select(b => b.Key)
            .ToList();
        foreach (var key in full)
        {
            State.Buckets.Remove(key);
        }

        return full.Count;
    }

    /// <summary>
    /// Keeps a new bucket within <see cref="RateLimiterOptions.MaxKeysPerShard"/>: first drops full buckets (free),
    /// then evicts the longest-idle ones. Both are O(n) scans, run only when a new key meets a full shard; the whole
    /// state is serialized after every operation anyway, which costs far more (docs/ratelimiter.md has the figures).
    /// </summary>
    private void MakeRoom(long now)
    {
        var buckets = State.Buckets;
        if (buckets.Count < _options.MaxKeysPerShard)
        {
            return;
        }

        Compact(now);
        var excess = buckets.Count - _options.MaxKeysPerShard + 1;
        if (excess <= 0)
        {
            return;
        }

        // Usually one; more only after MaxKeysPerShard was lowered.
        var idlest = excess == 1
            ? [buckets.MinBy(b => b.Value.UpdatedMs).Key]
            : buckets.OrderBy(b => b.Value.UpdatedMs).Take(excess).Select(b => b.Key).ToList();
        foreach (var key in idlest)
        {
            buckets.Remove(key);
        }

        LogEvicted(Logger, Context.Id.Key, idlest.Count, _options.MaxKeysPerShard);
    }

    // Check and Grant answer the same way: what is left, and how long until the cost (or a full bucket) is there.
    private CheckReply Reply(bool allowed, double tokens, int cost) => new(
        allowed,
        Remaining: (int)Math.Floor(tokens + TokenBucket.Tolerance),
        Limit: _options.Capacity,
        RetryAfterMs: allowed ? 0 : TokenBucket.MsUntil(tokens, cost, _options),
        ResetMs: TokenBucket.MsUntil(tokens, _options.Capacity, _options));

    // Stores a bucket as of now: a new key may need room, the time is also the key's last activity (which eviction
    // reads), and the compaction timer runs while buckets exist.
    private void Store(string key, double tokens, long now)
    {
        var known = State.Buckets.TryGetValue(key, out var bucket);
        if (!known)
        {
            MakeRoom(now);
        }

        State.Buckets[key] = new TokenBucket(tokens, Math.Max(now, bucket?.UpdatedMs ?? now));
        StartTimerIfNone();
    }

    /// <exception cref="ValidationException">The cost is above the capacity, or the key belongs to another shard.</exception>
    private void EnsureCheckable(string key, int cost)
    {
        if (cost > _options.Capacity)
        {
            throw new ValidationException($"The cost {cost} is above the capacity {_options.Capacity}: it could never be allowed.");
        }

        EnsureOwnShard(key);
    }

    // A key has one bucket only if it is always checked on the same shard; a check sent to another shard (through the
    // generic servers API) would give it a second bucket and double its limit.
    private void EnsureOwnShard(string key)
    {
        var shard = RateLimitShards.For(key, _options.Shards);
        if (!string.Equals(Context.Id.Key, shard.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            throw new ValidationException(
                $"The key belongs to shard {shard} of {_options.Shards} (XxHash32 of its UTF-8 bytes modulo {_options.Shards}), " +
                $"not to shard '{Context.Id.Key}'.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiter shard {Shard}: the compaction timer's firing was lost ({OverdueMs} ms overdue); re-arming it")]
    private static partial void LogChainLost(ILogger logger, string shard, long overdueMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limiter shard {Shard}: dropped {Dropped} full buckets, {Kept} kept")]
    private static partial void LogCompacted(ILogger logger, string shard, int dropped, int kept);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiter shard {Shard}: evicted {Count} longest-idle buckets at the bound of {Max}")]
    private static partial void LogEvicted(ILogger logger, string shard, int count, int max);
}
