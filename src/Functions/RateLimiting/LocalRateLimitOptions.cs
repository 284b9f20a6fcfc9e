using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Functions.RateLimiting;

/// <summary>
/// The configuration section <c>RateLimiter:Local</c>: the in-memory path each worker puts in front of the shards
/// (docs/ratelimiter.md, "The in-memory path"). Validated at startup.
/// </summary>
public sealed class LocalRateLimitOptions : IValidatableObject
{
    public const string SectionName = "RateLimiter:Local";

    /// <summary>Answer checks of a key from a cached denial until its retry time, without asking the shard.</summary>
    public bool DenialCache { get; set; } = true;

    /// <summary>Take grants of tokens for hot keys and admit checks from them in memory.</summary>
    public bool Grants { get; set; } = true;

    /// <summary>The most tokens one grant asks for (the shard also never grants more than the bucket has).</summary>
    [Range(1, 1_000_000)]
    public int MaxGrant { get; set; } = 100;

    /// <summary>How long a grant holds. Tokens of a worker that died are released after it (and lost).</summary>
    [Range(typeof(TimeSpan), "00:00:00.5", "00:10:00")]
    public TimeSpan GrantLifetime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A worker stops using a grant this much before its lifetime ends, in case its clock runs behind the shard's.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The most keys one worker keeps; at the bound the idle ones, then the least recently used, are evicted.</summary>
    [Range(1, 1_000_000)]
    public int MaxKeys { get; set; } = 10_000;

    /// <summary>The most bytes (estimated per entry: a fixed part plus the key's characters) the worker's entries take.</summary>
    [Range(64 * 1024, 1L << 32)]
    public long MaxBytes { get; set; } = 16L << 20;

    public bool Enabled => DenialCache || Grants;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxClockSkew * 2 >= GrantLifetime)
        {
            yield return new ValidationResult(
                $"MaxClockSkew ({MaxClockSkew}) must be less than half of GrantLifetime ({GrantLifetime}).",
                [nameof(MaxClockSkew), nameof(GrantLifetime)]);
        }
    }
}
