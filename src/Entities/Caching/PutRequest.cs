using System.ComponentModel.DataAnnotations;
using System.Text.Json;

namespace ServerlessGenServer.Entities.Caching;

/// <summary>The input of <see cref="Cache.Put"/>.</summary>
/// <param name="Key">1 to 256 characters, any.</param>
/// <param name="Value">Any JSON value but null, at most <see cref="CacheOptions.MaxValueBytes"/>.</param>
/// <param name="TtlMs">Time to live; null (the default) keeps the entry until it is evicted or deleted.</param>
public sealed record PutRequest(
    [property: Required, StringLength(PutRequest.MaxKeyLength, MinimumLength = 1)] string Key,
    [property: Required] JsonElement? Value,
    [property: Range(1, PutRequest.MaxTtlMs)] long? TtlMs = null)
{
    public const int MaxKeyLength = 256;

    /// <summary>Thirty days.</summary>
    public const long MaxTtlMs = 30L * 24 * 60 * 60 * 1_000;
}
