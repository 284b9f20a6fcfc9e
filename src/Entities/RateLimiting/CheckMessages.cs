using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>The input of <see cref="RateLimiter.Check"/>: take <paramref name="Cost"/> tokens from <paramref name="Key"/>'s bucket.</summary>
public sealed record CheckRequest(
    [property: RateLimitKey] string Key,
    [property: Range(1, int.MaxValue)] int Cost = 1);

/// <summary>
/// The reply of <see cref="RateLimiter.Check"/>. Times are in milliseconds from the check, rounded up;
/// null means "never" (a limiter that does not refill).
/// </summary>
/// <param name="Allowed">The tokens were taken.</param>
/// <param name="Remaining">Whole tokens left in the bucket after the check.</param>
/// <param name="Limit">The bucket's capacity.</param>
/// <param name="RetryAfterMs">0 when allowed; otherwise when the same cost would be allowed.</param>
/// <param name="ResetMs">When the bucket is full again (0 when it is full now).</param>
public sealed record CheckReply(bool Allowed, int Remaining, int Limit, long? RetryAfterMs, long? ResetMs);
