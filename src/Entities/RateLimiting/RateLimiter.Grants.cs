using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// Token grants: a worker takes a batch of a key's tokens in one call and admits checks from it in memory.
/// </summary>
/// <remarks>
/// Exactness: tokens in the bucket plus tokens out in grants never exceed the capacity, because a key's bucket counts at
/// most <c>Capacity - granted</c> while grants are out. So the bucket and the grants together are one token bucket that
/// refills at the configured rate and never holds more than the capacity: whatever the workers admit from it, one exact
/// bucket would have admitted too. A grant's tokens are released from that count when it is returned (the unused ones go
/// back into the bucket) or when its lifetime ends (the unused ones are lost: the shard cannot know how many were used).
/// </remarks>
public sealed partial class RateLimiter
{
    /// <summary>The most grants out on one key (one per worker that finds the key hot).</summary>
    public const int MaxGrantsPerKey = 32;

    /// <summary>The most grants out on one shard: the ledger is serialized with the state after every operation.</summary>
    public const int MaxGrantsPerShard = 256;

    /// <summary>
    /// handle_call({:grant, key, cost, extra}): the check of <c>cost</c>, as <see cref="Check"/>; when it is allowed, also
    /// up to <c>extra</c> more tokens (never more than the bucket has left) held for the caller for the grant's lifetime.
    /// </summary>
    /// <exception cref="ValidationException">The cost is above the capacity, or the key belongs to another shard.</exception>
    public GrantReply Grant(GrantRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureCheckable(request.Key, request.Cost);
        var now = NowMs;
        PruneGrants(now);
        var tokens = TokensAfterReturn(request.Key, request.ReturnId, request.ReturnTokens, now);
        var allowed = tokens + TokenBucket.Tolerance >= request.Cost;
        var granted = 0;
        if (allowed)
        {
            tokens = Math.Max(0, tokens - request.Cost);
            granted = (int)Math.Min(request.Extra, Math.Floor(tokens + TokenBucket.Tolerance));
            if (granted > 0 && TryRecordGrant(request.Key, new TokenGrant(request.GrantId, granted, now + request.LifetimeMs)))
            {
                tokens = Math.Max(0, tokens - granted);
            }
            else
            {
                granted = 0;
            }
        }

        Store(request.Key, tokens, now);
        return new GrantReply(Reply(allowed, tokens, request.Cost), granted, tokens);
    }

    /// <summary>handle_cast({:return_grant, key, id, tokens}): puts a grant's unused tokens back. An unknown or expired grant does nothing.</summary>
    public void ReturnGrant(GrantReturn message)
    {
        ArgumentNullException.ThrowIfNull(message);
        EnsureOwnShard(message.Key);
        var now = NowMs;
        PruneGrants(now);
        if (State.Grants?.GetValueOrDefault(message.Key)?.Any(g => g.Id == message.GrantId) == true)
        {
            Store(message.Key, TokensAfterReturn(message.Key, message.GrantId, message.Tokens, now), now);
        }
    }

    // The most tokens the key's bucket may count now: the capacity less what its live grants hold. Check reads it too.
    private double Ungranted(string key, long now)
    {
        var grants = State.Grants?.GetValueOrDefault(key);
        return grants is null ? _options.Capacity : _options.Capacity - grants.Where(g => g.ExpiresMs > now).Sum(g => (double)g.Tokens);
    }

    // The key's tokens now, after the caller's previous grant (if still out) gave back up to what it held.
    private double TokensAfterReturn(string key, string? returnId, int returnTokens, long now)
    {
        var tokens = State.Buckets.TryGetValue(key, out var bucket) ? bucket.TokensAt(now, _options) : _options.Capacity;
        tokens = Math.Min(tokens, Ungranted(key, now));
        if (returnId is null || State.Grants?.GetValueOrDefault(key) is not { } grants)
        {
            return tokens;
        }

        var index = grants.FindIndex(g => g.Id == returnId);
        if (index < 0)
        {
            return tokens;
        }

        var returned = Math.Min(returnTokens, grants[index].Tokens);
        grants.RemoveAt(index);
        if (grants.Count == 0)
        {
            RemoveGrants(key);
        }

        return Math.Min(tokens + returned, Ungranted(key, now));
    }

    private bool TryRecordGrant(string key, TokenGrant grant)
    {
        var all = State.Grants ??= new(StringComparer.Ordinal);
        if (all.Values.Sum(g => g.Count) >= MaxGrantsPerShard)
        {
            return false;
        }

        if (!all.TryGetValue(key, out var grants))
        {
            all[key] = grants = [];
        }

        if (grants.Count >= MaxGrantsPerKey || grants.Any(g => g.Id == grant.Id))
        {
            return false;
        }

        grants.Add(grant);
        return true;
    }

    // Expired grants are released: their unused tokens are lost (never put back), so nothing is admitted twice.
    private void PruneGrants(long now)
    {
        if (State.Grants is not { } all)
        {
            return;
        }

        foreach (var (key, grants) in all)
        {
            grants.RemoveAll(g => g.ExpiresMs <= now);
            if (grants.Count == 0)
            {
                all.Remove(key);
            }
        }

        if (all.Count == 0)
        {
            State.Grants = null;
        }
    }

    private void RemoveGrants(string key)
    {
        State.Grants!.Remove(key);
        if (State.Grants.Count == 0)
        {
            State.Grants = null;
        }
    }
}
