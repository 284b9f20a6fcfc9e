using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// One shard's state. It is serialized after every operation, so its size decides throughput: the property
/// names are one letter and a full bucket is not stored at all (a full bucket and an absent one answer the same).
/// </summary>
public sealed record RateLimiterState
{
    /// <summary>The buckets that are not full, by key. At most <see cref="RateLimiterOptions.MaxKeysPerShard"/>.</summary>
    [JsonPropertyName("b")]
    public Dictionary<string, TokenBucket> Buckets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The token grants not yet returned or expired, by key (RateLimiter.Grants.cs); null when there are none.</summary>
    [JsonPropertyName("g")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, List<TokenGrant>>? Grants { get; set; }
}

/// <summary>
/// A bucket: <paramref name="Tokens"/> as of <paramref name="UpdatedMs"/> (Unix milliseconds, also the key's last
/// check, which eviction reads). The tokens at any later time follow from the elapsed time alone.
/// </summary>
public sealed record TokenBucket(
    [property: JsonPropertyName("t")] double Tokens,
    [property: JsonPropertyName("u")] long UpdatedMs)
{
    /// <summary>
    /// Token counts this close to a whole number count as it: sums of fractional refills carry floating-point
    /// error (0.1 × 10 = 0.9999999999999999). A millisecond at the smallest allowed rate adds 1e-6 tokens, far above it.
    /// </summary>
    public const double Tolerance = 1e-9;

    /// <summary>The tokens at <paramref name="nowMs"/>: the stored ones plus the refill since, up to the capacity.</summary>
    public double TokensAt(long nowMs, RateLimiterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Clocks of different workers may disagree a little: time never runs backwards for a bucket.
        var elapsedMs = Math.Max(0, nowMs - UpdatedMs);
        var tokens = Tokens + elapsedMs * options.RefillPerSecond / 1000d;
        return tokens + Tolerance >= options.Capacity ? options.Capacity : tokens;
    }

    /// <summary>Milliseconds (rounded up) until <paramref name="tokens"/> grow to <paramref name="target"/>; null if never.</summary>
    public static long? MsUntil(double tokens, double target, RateLimiterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var missing = target - tokens;
        if (missing <= Tolerance)
        {
            return 0;
        }

        // The check allows once the tokens are within Tolerance of the target: wait exactly until then.
        return options.RefillPerSecond > 0 ? (long)Math.Ceiling((missing - Tolerance) * 1000d / options.RefillPerSecond) : null;
    }
}
