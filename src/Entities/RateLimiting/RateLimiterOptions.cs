using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// The configuration section <c>RateLimiter</c>: the token bucket every key gets, how keys are spread over shards,
/// and the bounds of one shard's state. Validated at startup: an invalid value stops the app with a clear message.
/// </summary>
public sealed class RateLimiterOptions : IValidatableObject
{
    public const string SectionName = "RateLimiter";

    /// <summary>The smallest refill rate above zero: a thousandth of a token per second (one token in about 17 minutes).</summary>
    public const double MinRefillPerSecond = 0.001;

    /// <summary>Tokens a bucket holds when full: the largest burst, and the largest cost one check may ask for.</summary>
    [Range(1, 1_000_000)]
    public int Capacity { get; set; } = 10;

    /// <summary>Tokens added per second, fractions allowed. Zero means a fixed quota that never refills.</summary>
    [Range(0d, 1_000_000d)]
    public double RefillPerSecond { get; set; } = 2;

    /// <summary>How many <c>ratelimiter</c> entities the keys are spread over (entity keys "0" to Shards - 1).</summary>
    [Range(1, 1024)]
    public int Shards { get; set; } = 16;

    /// <summary>The most buckets one shard keeps; a new key at the bound evicts the longest-idle one.</summary>
    [Range(1, 100_000)]
    public int MaxKeysPerShard { get; set; } = 10_000;

    /// <summary>How often a shard's self-scheduled refill drops the buckets that are full again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CompactionInterval { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Below this, a millisecond adds less than the rounding tolerance of a check (TokenBucket.Tolerance).
        if (RefillPerSecond is > 0 and < MinRefillPerSecond)
        {
            yield return new ValidationResult(
                $"RefillPerSecond must be 0 (no refill) or at least {MinRefillPerSecond}; it is {RefillPerSecond}.",
                [nameof(RefillPerSecond)]);
        }
    }
}
