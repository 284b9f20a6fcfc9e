using System.ComponentModel.DataAnnotations;
using System.Globalization;
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
/// refill message is only compaction: a self-scheduled chain, numbered so that duplicate and stale messages do
/// nothing, that drops buckets which are full again. A timer pokes every shard with sequence 0 to restart a
/// chain that was lost; a poke while a chain runs does nothing, so there is never a second chain.
/// </remarks>
public sealed partial class RateLimiter(TimeProvider time, IOptions<RateLimiterOptions> options, ILogger<RateLimiter> logger)
    : GenServer<RateLimiterState>(time, logger)
{
    /// <summary>The sequence number the timer sends: "restart the chain if none is running".</summary>
    public const long Poke = 0;

    private readonly RateLimiterOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    private long NowMs => Now.ToUnixTimeMilliseconds();

    /// <summary>handle_call({:check, key, cost}): takes <c>cost</c> tokens from the key's bucket if it has them.</summary>
    /// <exception cref="ValidationException">The cost is above the capacity, or the key belongs to another shard.</exception>
    public CheckReply Check(CheckRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Cost > _options.Capacity)
        {
            throw new ValidationException(
                $"The cost {request.Cost} is above the capacity {_options.Capacity}: it could never be allowed.");
        }

        EnsureOwnShard(request.Key);
        var now = NowMs;
        var buckets = State.Buckets;
        var known = buckets.TryGetValue(request.Key, out var bucket);
        var tokens = Math.Min(known ? bucket!.TokensAt(now, _options) : _options.Capacity, Ungranted(request.Key, now));
        var allowed = tokens + TokenBucket.Tolerance >= request.Cost;
        if (allowed)
        {
            tokens = Math.Max(0, tokens - request.Cost);
        }

        // A check always leaves the bucket below full (a cost is at least 1, a denial means it was short), so it is
        // stored, with the check's time: it is also the key's last activity, which eviction reads.
        if (!known)
        {
            MakeRoom(now);
        }

        buckets[request.Key] = new TokenBucket(tokens, Math.Max(now, bucket?.UpdatedMs ?? now));
        StartChainIfNone(now);
        return new CheckReply(
            allowed,
            Remaining: (int)Math.Floor(tokens + TokenBucket.Tolerance),
            Limit: _options.Capacity,
            RetryAfterMs: allowed ? 0 : TokenBucket.MsUntil(tokens, request.Cost, _options),
            ResetMs: TokenBucket.MsUntil(tokens, _options.Capacity, _options));
    }

    /// <summary>
    /// handle_info(:refill): the compaction chain. Sequence <see cref="Poke"/> (from the timer) compacts and starts a
    /// chain only when none is running; any other sequence runs only if it is the one the running chain expects.
    /// </summary>
    [HandleInfo]
    public void Refill([Range(0, long.MaxValue)] long sequence)
    {
        var now = NowMs;
        if (sequence == Poke)
        {
            if (ChainIsAlive(now))
            {
                return;
            }

            ForgetLostChain(now);
        }
        else if (sequence != State.Sequence || State.RefillDueMs is null)
        {
            LogStaleRefill(Logger, Context.Id.Key, sequence, State.Sequence);
            return;
        }

        var dropped = Compact(now);
        LogCompacted(Logger, Context.Id.Key, dropped, State.Buckets.Count);
        State.RefillDueMs = null;
        StartChainIfNone(now);
    }

    protected override RateLimiterState Init() => new();

    // A chain is alive while its refill is not a whole interval overdue (scheduled messages can run a little late).
    private bool ChainIsAlive(long now) =>
        State.RefillDueMs is { } due && now <= due + (long)_options.CompactionInterval.TotalMilliseconds;

    // A refill that is a whole interval overdue was lost (or is so late that a new chain may replace it: the new
    // chain's higher sequence number makes the old message stale if it still comes).
    private void ForgetLostChain(long now)
    {
        if (State.RefillDueMs is { } due && !ChainIsAlive(now))
        {
            LogChainLost(Logger, Context.Id.Key, State.Sequence, now - due);
            State.RefillDueMs = null;
        }
    }

    // Nothing to compact, nothing to schedule: an idle shard costs no messages until its next new bucket.
    private void StartChainIfNone(long now)
    {
        ForgetLostChain(now);
        if (State.RefillDueMs is not null || State.Buckets.Count == 0)
        {
            return;
        }

        State.Sequence++;
        State.RefillDueMs = now + (long)_options.CompactionInterval.TotalMilliseconds;
        SendAfter(_options.CompactionInterval, nameof(Refill), State.Sequence);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiter shard {Shard}: refill chain {Sequence} was lost ({OverdueMs} ms overdue); restarting it")]
    private static partial void LogChainLost(ILogger logger, string shard, long sequence, long overdueMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limiter shard {Shard}: ignored stale refill {Sequence} (current {Current})")]
    private static partial void LogStaleRefill(ILogger logger, string shard, long sequence, long current);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limiter shard {Shard}: dropped {Dropped} full buckets, {Kept} kept")]
    private static partial void LogCompacted(ILogger logger, string shard, int dropped, int kept);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limiter shard {Shard}: evicted {Count} longest-idle buckets at the bound of {Max}")]
    private static partial void LogEvicted(ILogger logger, string shard, int count, int max);
}
