using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.RateLimiting;

/// <summary>
/// The rules for a rate-limit key (a user id, an API key's id, an IP address...). Unlike an entity key it is only
/// hashed and stored as a dictionary key, so almost any text will do: 1 to 256 characters, no control characters,
/// and well-formed UTF-16 (so that its UTF-8 bytes, which the shard hash reads, are lossless).
/// </summary>
public static class RateLimitKey
{
    public const int MaxLength = 256;

    /// <summary>Returns why <paramref name="key"/> cannot be a rate-limit key, or null when it can.</summary>
    public static string? Problem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "The key is empty.";
        }

        if (key.Length > MaxLength)
        {
            return $"The key is longer than {MaxLength} characters.";
        }

        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (char.IsControl(c))
            {
                return $"The key has a control character at position {i}.";
            }

            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"The key has a lone surrogate at position {i}.";
            }
        }

        return null;
    }
}

/// <summary>Validates a property or parameter with <see cref="RateLimitKey.Problem"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class RateLimitKeyAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        RateLimitKey.Problem(value as string) is { } problem
            ? new ValidationResult(problem, validationContext?.MemberName is { } member ? [member] : null)
            : ValidationResult.Success;
}
