using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.Caching;

/// <summary>
/// The bounds of every <see cref="Cache"/> (configuration section <c>Cache</c>), validated at startup.
/// </summary>
/// <remarks>
/// The defaults keep a cache's stored state under 30,720 characters, the size up to which the Azure Storage backend
/// keeps entity state inline in its table rows (60 KB of UTF-16); see docs/servers.md.
/// </remarks>
public sealed class CacheOptions : IValidatableObject
{
    public const string SectionName = "Cache";

    /// <summary>The most entries a cache holds; the least recently used one is evicted first.</summary>
    [Range(1, 100_000)]
    public int MaxEntries { get; set; } = 1_000;

    /// <summary>The largest value, in bytes of its JSON as the state stores it. A larger put fails.</summary>
    [Range(16, 1_048_576)]
    public int MaxValueBytes { get; set; } = 1_024;

    /// <summary>
    /// The budget for all entries, in characters of the state as the task hub stores it (see
    /// <see cref="CacheEntry.StoredSize"/>). Least recently used entries are evicted to stay within it.
    /// </summary>
    [Range(16_384, 4_194_304)]
    public int MaxStateBytes { get; set; } = 28_672;

    /// <summary>How often the cleanup message runs while entries with a TTL exist.</summary>
    [Range(1, 86_400)]
    public int CleanupIntervalSeconds { get; set; } = 60;

    /// <summary>Seconds without a client message after which a cache deletes itself; 0 (the default) keeps it.</summary>
    [Range(0, 31_536_000)]
    public int StopAfterIdleSeconds { get; set; }

    /// <summary>Entries every new cache preloads (handle_continue), keyed by cache key; values are stored as JSON strings.</summary>
    public CacheWarmUpOptions WarmUp { get; set; } = new();

    public TimeSpan CleanupInterval => TimeSpan.FromSeconds(CleanupIntervalSeconds);

    public TimeSpan? StopAfterIdle => StopAfterIdleSeconds > 0 ? TimeSpan.FromSeconds(StopAfterIdleSeconds) : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // An entry's stored size is at most twice (value + key + field names); a quarter of the budget leaves room for it.
        if (MaxValueBytes > MaxStateBytes / 4)
        {
            yield return new ValidationResult(
                $"{nameof(MaxValueBytes)} ({MaxValueBytes}) must be at most a quarter of {nameof(MaxStateBytes)} ({MaxStateBytes}).",
                [nameof(MaxValueBytes)]);
        }

        foreach (var key in WarmUp.Entries.Keys.Where(k => k.Length is 0 or > PutRequest.MaxKeyLength))
        {
            yield return new ValidationResult(
                $"Warm-up key '{key}' must have 1 to {PutRequest.MaxKeyLength} characters.", [nameof(WarmUp)]);
        }
    }
}

/// <summary>Configuration section <c>Cache:WarmUp</c>.</summary>
public sealed class CacheWarmUpOptions
{
    /// <summary><c>Cache:WarmUp:Entries:{key}</c> = value.</summary>
    public Dictionary<string, string> Entries { get; set; } = new(StringComparer.Ordinal);
}
