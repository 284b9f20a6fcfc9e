using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.RateLimiting;

/// <summary>What a check came to: the limiter's answer (from memory or from the shard), or the shard call that gave none.</summary>
/// <param name="Reply">The answer, or null when the shard call failed or timed out (see <paramref name="Call"/>).</param>
/// <param name="Call">The shard call's result when it gave no answer.</param>
/// <param name="Local">The answer came from this worker's memory (a cached denial or a grant), not from the shard.</param>
public sealed record RateLimitDecision(CheckReply? Reply, CallResult? Call, bool Local);

/// <summary>One call of a shard's <see cref="RateLimiter.Grant"/> (in the app: a GenServer call through the engine).</summary>
public delegate Task<CallResult> ShardCall(GrantRequest request, CancellationToken cancellation);

/// <summary>
/// The rate limiter's in-memory path in one worker: <c>check(key, cost) -> decision</c>, independent of HTTP. It answers
/// from a cached denial until the shard's exact retry time, and from grants of tokens the shard has already debited;
/// everything else is one <see cref="RateLimiter.Grant"/> call on the key's shard, made once per key at a time however
/// many checks of it wait. Keys are bounded in number and bytes (docs/ratelimiter.md, "The in-memory path").
/// </summary>
public sealed class LocalRateLimiter
{
    /// <summary>The estimated bytes of one key's entry besides its key's characters (measured: docs/benchmarks.md).</summary>
    public const int EntryBytes = 240;

    private static readonly string ServerName = GenServerRegistry.NameOf(typeof(RateLimiter));
    private readonly ConcurrentDictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private readonly Lock _evicting = new();
    private readonly string _workerId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
    private readonly TimeProvider _time;
    private readonly GenServerClient? _genServers;
    private readonly RateLimiterOptions _limiter;
    private readonly LocalRateLimitOptions _local;
    private long _sequence;
    private long _bytes;

    public LocalRateLimiter(
        TimeProvider time, IOptions<RateLimiterOptions> limiter, IOptions<LocalRateLimitOptions> local, GenServerClient? genServers = null)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentNullException.ThrowIfNull(local);
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _limiter = limiter.Value;
        _local = local.Value;
        _genServers = genServers;
    }

    /// <summary>Whether any part of the path is on; when it is off, callers make the plain check.</summary>
    public bool Enabled => _local.Enabled;

    /// <summary>The keys this worker keeps.</summary>
    public int Count => _keys.Count;

    /// <summary>The estimated bytes of the kept entries (the bound <see cref="LocalRateLimitOptions.MaxBytes"/> applies to it).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Checks <paramref name="cost"/> tokens of <paramref name="key"/>, calling its shard through the engine when memory cannot answer.</summary>
    public Task<RateLimitDecision> CheckAsync(
        DurableTaskClient client, string key, int cost, TimeSpan timeout, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var genServers = _genServers ?? throw new InvalidOperationException("This limiter was made without a GenServerClient.");
        return CheckAsync(key, cost, (grant, ct) => genServers.CallAsync(client, new CallRequest(ServerName,
            RateLimitShards.For(grant.Key, _limiter.Shards).ToString(CultureInfo.InvariantCulture), nameof(RateLimiter.Grant),
            JsonSerializer.SerializeToElement(grant, GenServerJson.Options)), timeout, ct), cancellation);
    }

    /// <summary>Checks <paramref name="cost"/> tokens of <paramref name="key"/>, calling <paramref name="shard"/> when memory cannot answer.</summary>
    public async Task<RateLimitDecision> CheckAsync(string key, int cost, ShardCall shard, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentOutOfRangeException.ThrowIfLessThan(cost, 1);
        var counted = false;
        while (true)
        {
            var entry = Entry(key);
            Task? inFlight;
            GrantRequest? request = null;
            TaskCompletionSource? flight = null;
            long sentMs;
            lock (entry)
            {
                sentMs = NowMs;
                entry.LastUsedMs = sentMs;
                if (!counted)
                {
                    entry.DemandTokens += cost;
                    counted = true;
                }

                if (Answer(entry, cost, sentMs) is { } answer)
                {
                    return new RateLimitDecision(answer, null, Local: true);
                }

                inFlight = entry.InFlight;
                if (inFlight is null)
                {
                    request = NextRequest(entry, key, cost, sentMs);
                    flight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    entry.InFlight = flight.Task;
                }
            }

            if (inFlight is not null)
            {
                // One shard call per key at a time: the others wait for its grant or denial, then try memory again.
                await inFlight.WaitAsync(cancellation);
                continue;
            }

            CallResult? result = null;
            try
            {
                result = await shard(request!, cancellation);
            }
            finally
            {
                lock (entry)
                {
                    entry.InFlight = null;
                }

                flight!.SetResult();
            }

            if (result.Status != CallStatus.Replied || result.Reply?.Deserialize<GrantReply>(GenServerJson.Options) is not { } reply)
            {
                return new RateLimitDecision(null, result, Local: false);
            }

            lock (entry)
            {
                Remember(entry, request!, reply, sentMs);
            }

            return new RateLimitDecision(reply.Check, null, Local: false);
        }
    }

    // Memory's answer: tokens from a live grant, or a denial while the bucket cannot have the cost (what the shard last
    // said it held, plus its refill since, plus this worker's own grant); null when the shard must answer.
    private CheckReply? Answer(KeyState entry, int cost, long now)
    {
        var held = entry.GrantId is not null && now < entry.GrantUsableUntilMs ? entry.GrantTokens : 0;
        if (held >= cost)
        {
            entry.GrantTokens -= cost;
            return new CheckReply(true, entry.GrantTokens, _limiter.Capacity, 0, MsUntil(entry.ResetAtMs, now));
        }

        if (!_local.DenialCache || entry.LevelAtMs is not { } levelAt)
        {
            return null;
        }

        // A bucket that never refills has no retry time: its level is trusted as long as a grant could hold tokens back.
        var until = TokenBucket.MsUntil(entry.Level + held, cost, _limiter) is { } wait
            ? levelAt + wait
            : levelAt + (long)_local.GrantLifetime.TotalMilliseconds;
        return now < until
            ? new CheckReply(false, (int)Math.Floor(entry.Level + held + TokenBucket.Tolerance), _limiter.Capacity,
                _limiter.RefillPerSecond > 0 ? until - now : null, MsUntil(entry.ResetAtMs, now))
            : null;
    }

    // The shard call for this check: it hands back the rest of the current grant, and asks for the demand seen since the
    // last call, scaled to half a grant's usable life (so a busy key renews before its grant runs out).
    private GrantRequest NextRequest(KeyState entry, string key, int cost, long now)
    {
        var extra = 0;
        if (_local.Grants)
        {
            var elapsedMs = now - entry.DemandSinceMs;
            var horizonMs = UsableMs / 2;
            extra = elapsedMs <= 0 ? 0 : (int)Math.Min(Math.Min(_local.MaxGrant, _limiter.Capacity - cost),
                (double)entry.DemandTokens * horizonMs / elapsedMs);
        }

        (entry.DemandTokens, entry.DemandSinceMs) = (0, now);
        var returning = entry.GrantId is not null && now < entry.GrantUsableUntilMs ? entry.GrantId : null;
        var request = new GrantRequest(key, cost, Math.Max(0, extra),
            _workerId + Interlocked.Increment(ref _sequence).ToString("x", CultureInfo.InvariantCulture),
            (long)_local.GrantLifetime.TotalMilliseconds, returning, returning is null ? 0 : entry.GrantTokens);
        (entry.GrantId, entry.GrantTokens) = (null, 0);
        return request;
    }

    // Times are counted from when the request was sent: the shard answered later, so the level is dated at or before
    // the shard's time (a denial never outlasts the shard's retry time; a grant stops before the shard releases it).
    private void Remember(KeyState entry, GrantRequest request, GrantReply reply, long sentMs)
    {
        (entry.Level, entry.LevelAtMs) = (reply.Tokens, sentMs);
        entry.ResetAtMs = reply.Check.ResetMs is { } reset ? sentMs + reset : null;
        if (reply.Granted > 0)
        {
            (entry.GrantId, entry.GrantTokens, entry.GrantUsableUntilMs) = (request.GrantId, reply.Granted, sentMs + UsableMs);
        }
    }

    private long UsableMs => (long)(_local.GrantLifetime - _local.MaxClockSkew).TotalMilliseconds;

    private static long? MsUntil(long? atMs, long now) => atMs is { } at ? Math.Max(0, at - now) : null;

    private KeyState Entry(string key)
    {
        if (_keys.TryGetValue(key, out var entry))
        {
            return entry;
        }

        var size = EntryBytes + (2L * key.Length);
        MakeRoom(size);
        entry = new KeyState(NowMs);
        if (_keys.TryAdd(key, entry))
        {
            Interlocked.Add(ref _bytes, size);
            return entry;
        }

        return _keys.TryGetValue(key, out var other) ? other : Entry(key);
    }

    // At the bound: first the entries that hold nothing (no live grant, no recent level, no call in flight), then the least
    // recently used. An evicted grant's tokens are not returned: they are released with the grant's lifetime.
    private void MakeRoom(long size)
    {
        if (_keys.Count < _local.MaxKeys && Bytes + size <= _local.MaxBytes)
        {
            return;
        }

        lock (_evicting)
        {
            var now = NowMs;
            foreach (var (key, entry) in _keys)
            {
                if (entry.InFlight is null && (entry.GrantId is null || now >= entry.GrantUsableUntilMs) &&
                    (entry.LevelAtMs is null || now - entry.LevelAtMs > (long)_local.GrantLifetime.TotalMilliseconds))
                {
                    Remove(key);
                }
            }

            if (_keys.Count < _local.MaxKeys && Bytes + size <= _local.MaxBytes)
            {
                return;
            }

            foreach (var (key, _) in _keys.Where(k => k.Value.InFlight is null).OrderBy(k => k.Value.LastUsedMs).ToList())
            {
                Remove(key);
                if (_keys.Count < _local.MaxKeys && Bytes + size <= _local.MaxBytes)
                {
                    return;
                }
            }
        }
    }

    private void Remove(string key)
    {
        if (_keys.TryRemove(key, out _))
        {
            Interlocked.Add(ref _bytes, -(EntryBytes + (2L * key.Length)));
        }
    }

    /// <summary>One key's memory. Its lock guards every field; the eviction scan reads them without it (a stale read only evicts later).</summary>
    private sealed class KeyState(long nowMs)
    {
        public long LastUsedMs { get; set; } = nowMs;

        public Task? InFlight { get; set; }

        public long DemandTokens { get; set; }

        public long DemandSinceMs { get; set; } = nowMs;

        public string? GrantId { get; set; }

        public int GrantTokens { get; set; }

        public long GrantUsableUntilMs { get; set; }

        /// <summary>The bucket's tokens (besides this worker's grant) as the shard last said, dated <see cref="LevelAtMs"/>.</summary>
        public double Level { get; set; }

        public long? LevelAtMs { get; set; }

        public long? ResetAtMs { get; set; }
    }
}
