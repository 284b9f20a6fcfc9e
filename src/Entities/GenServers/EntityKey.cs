using System.Globalization;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// The rules for the key half of an entity id (name@key). Keys become Azure Storage partition and row keys,
/// instance ids and URL segments, so only a conservative set of characters is allowed.
/// </summary>
public static class EntityKey
{
    public const int MaxLength = 256;

    /// <summary>Punctuation allowed besides letters and digits (of any script).</summary>
    public const string AllowedPunctuation = "-_.:~+=!$*,;'()";

    /// <summary>Returns why <paramref name="key"/> cannot be an entity key, or null when it can.</summary>
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
            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                if (!char.IsLetterOrDigit(key, i))
                {
                    return $"The key has a character that is not allowed at position {i}.";
                }

                i++;
                continue;
            }

            if (!IsAllowed(c))
            {
                return $"The key has a character that is not allowed at position {i} " +
                    $"(allowed: letters, digits and {AllowedPunctuation}).";
            }
        }

        return null;
    }

    private static bool IsAllowed(char c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark => true,
        _ => AllowedPunctuation.Contains(c, StringComparison.Ordinal),
    };
}
