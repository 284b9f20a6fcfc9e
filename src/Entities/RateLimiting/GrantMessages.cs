using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// The input of <see cref="RateLimiter.Grant"/>: a check of <paramref name="Cost"/> tokens, plus up to
/// <paramref name="Extra"/> tokens more that the caller may admit on its own until the grant expires. It can first hand
/// back what is left of the caller's previous grant of this key (<paramref name="ReturnId"/>, <paramref name="ReturnTokens"/>).
/// </summary>
/// <param name="GrantId">The caller's id for the new grant, unique per key (a worker id and a sequence number).</param>
/// <param name="LifetimeMs">How long the grant holds; the shard releases it after that, used or not.</param>
public sealed record GrantRequest(
    [property: RateLimitKey] string Key,
    [property: Range(1, int.MaxValue)] int Cost,
    [property: Range(0, 1_000_000)] int Extra,
    [property: Required, StringLength(GrantRequest.MaxIdLength, MinimumLength = 1)] string GrantId,
    [property: Range(GrantRequest.MinLifetimeMs, GrantRequest.MaxLifetimeMs)] long LifetimeMs,
    [property: StringLength(GrantRequest.MaxIdLength, MinimumLength = 1)] string? ReturnId = null,
    [property: Range(0, 1_000_000)] int ReturnTokens = 0)
{
    public const int MaxIdLength = 40;
    public const long MinLifetimeMs = 100;
    public const long MaxLifetimeMs = 600_000;
}

/// <summary>
/// The reply of <see cref="RateLimiter.Grant"/>: the check's answer (as <see cref="RateLimiter.Check"/> gives it, after the
/// grant was taken), the tokens granted (0 when the check was denied or the shard holds too many grants), and the exact
/// tokens left in the bucket, fractions included, from which the caller can tell when any cost will be allowed again.
/// </summary>
public sealed record GrantReply(CheckReply Check, int Granted, double Tokens);

/// <summary>The input of <see cref="RateLimiter.ReturnGrant"/>: the unused tokens of a grant the caller will not use again.</summary>
public sealed record GrantReturn(
    [property: RateLimitKey] string Key,
    [property: Required, StringLength(GrantRequest.MaxIdLength, MinimumLength = 1)] string GrantId,
    [property: Range(0, 1_000_000)] int Tokens);

/// <summary>Tokens taken from a bucket by one caller, until <paramref name="ExpiresMs"/> (Unix ms) or their return.</summary>
public sealed record TokenGrant(
    [property: JsonPropertyName("i")] string Id,
    [property: JsonPropertyName("n")] int Tokens,
    [property: JsonPropertyName("e")] long ExpiresMs);
