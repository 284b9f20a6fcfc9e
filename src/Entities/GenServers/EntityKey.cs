using System.Globalization;
using System.Text;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// The rules for the key half of an entity id (name@key). Keys become Azure Storage partition and row keys,
/// instance ids and URL segments, so only a conservative set of characters is allowed. Keys are compared as stored,
/// so a key must be in Unicode NFC (the HTTP API normalizes to NFC first) and may hold no invisible characters: two
/// keys that look the same are the same key, or one of them is refused.
/// </summary>
public static class EntityKey
{
    public const int MaxLength = 256;

    /// <summary>Punctuation allowed besides letters and digits (of any script).</summary>
    public const string AllowedPunctuation = "-_.:~+=!$*,;'()";

    /// <summary>
    /// The NFC form of <paramref name="key"/> (NFC and NFD spellings of a key reach one server). A key that cannot be
    /// normalized (a lone surrogate) is returned as it is, for <see cref="Problem"/> to refuse.
    /// </summary>
    public static string? Normalize(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return key;
        }

        try
        {
            return key.IsNormalized(NormalizationForm.FormC) ? key : key.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return key;
        }
    }

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

        if (FindInvisible(key) is var invisible and >= 0)
        {
            return $"The key has an invisible or format character at position {invisible}.";
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

        return key.IsNormalized(NormalizationForm.FormC) ? null : "The key is not in Unicode normalization form C (NFC).";
    }

    /// <summary>
    /// The position of the first character that renders as nothing: format characters (zero-width space and joiners,
    /// bidi controls, BOM, tags) and Unicode's other default-ignorable code points, some of them letters or marks
    /// (U+3164 HANGUL FILLER, U+115F, U+1160, U+FFA0, U+034F, variation selectors). -1 when there is none.
    /// </summary>
    public static int FindInvisible(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (var i = 0; i < key.Length; i++)
        {
            var codePoint = char.IsHighSurrogate(key[i]) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1])
                ? char.ConvertToUtf32(key[i], key[i + 1])
                : key[i];
            if (IsInvisible(codePoint))
            {
                return i;
            }

            if (codePoint > char.MaxValue)
            {
                i++;
            }
        }

        return -1;
    }

    private static bool IsInvisible(int codePoint) =>
        CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.Format || codePoint switch
        {
            0x00AD or 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0 => true,
            >= 0x180B and <= 0x180F => true,
            >= 0xFE00 and <= 0xFE0F => true,
            >= 0xE0000 and <= 0xE0FFF => true,
            _ => false,
        };

    private static bool IsAllowed(char c) => CharUnicodeInfo.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark => true,
        _ => AllowedPunctuation.Contains(c, StringComparison.Ordinal),
    };
}
