using System.Text;
using Microsoft.AspNetCore.Http;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// The <c>Idempotency-Key</c> request header of a cast or call, as the IETF draft (draft-ietf-httpapi-idempotency-key-header)
/// defines it: an RFC 8941 Item whose value is a String (<c>"order-42"</c>). A bare Token (<c>order-42</c>) is accepted too
/// and is the same key as its quoted form (also one that starts with a digit, as UUIDs do). Parameters (<c>"k";v=1</c>) are parsed and ignored, as RFC 8941 says unknown
/// ones are. The key itself is 1 to 128 printable ASCII characters; the header comes once.
/// </summary>
public static class IdempotencyKeyHeader
{
    public const string Name = "Idempotency-Key";

    /// <summary>The key, null when the header is absent, or the problem to answer with.</summary>
    public static string? Read(HttpRequest request, out ApiResult? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        problem = null;
        if (!request.Headers.TryGetValue(Name, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            problem = Problems.BadInput($"Send one {Name} header, not {values.Count}.");
            return null;
        }

        var key = Parse(values[0] ?? "", out var syntax);
        if (syntax is not null || OnceMessage.KeyProblem(key) is { } keyProblem && (syntax = keyProblem) is not null)
        {
            problem = Problems.BadInput($"{Name}: {syntax}");
            return null;
        }

        return key;
    }

    /// <summary>The key an RFC 8941 Item (String or Token, with optional parameters) carries, or why it is not one.</summary>
    internal static string? Parse(string field, out string? problem)
    {
        problem = null;
        var text = field.Trim(' ');
        if (text.Length == 0)
        {
            problem = "The idempotency key is empty.";
            return null;
        }

        int end;
        string key;
        if (text[0] == '"')
        {
            var value = new StringBuilder();
            end = 1;
            while (true)
            {
                if (end >= text.Length)
                {
                    problem = "The quoted string has no closing quote.";
                    return null;
                }

                var c = text[end++];
                if (c == '"')
                {
                    break;
                }

                if (c == '\\')
                {
                    if (end >= text.Length || text[end] is not ('"' or '\\'))
                    {
                        problem = "In a quoted string only \\\" and \\\\ are escapes.";
                        return null;
                    }

                    c = text[end++];
                }
                else if (c is < ' ' or > '~')
                {
                    problem = $"The key has a character at position {end - 1} that is not printable ASCII (space to '~').";
                    return null;
                }

                value.Append(c);
            }

            key = value.ToString();
        }
        else if (IsTokenChar(text[0]))
        {
            // RFC 8941 tokens start with a letter or '*'; a bare value starting with a digit (a UUID) is taken too.
            end = 1;
            while (end < text.Length && IsTokenChar(text[end]))
            {
                end++;
            }

            key = text[..end];
        }
        else
        {
            problem = "Send the key as a quoted string (\"...\") or a bare token (letters, digits and !#$%&'*+-.^_`|~:/).";
            return null;
        }

        if (end < text.Length && (text[end] != ';' || !ParametersAreValid(text.AsSpan(end))))
        {
            problem = $"Unexpected text after the key at position {end}: only ;parameters may follow it.";
            return null;
        }

        return key;
    }

    // RFC 8941 tchar plus ":" and "/" (sf-token).
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~:/".Contains(c, StringComparison.Ordinal);

    // ;key[=bare-item] repeated; keys are lcalpha or "*" then lcalpha / DIGIT / "_" / "-" / "." / "*". Values are checked
    // loosely (token, number, quoted string or boolean), since they are ignored.
    private static bool ParametersAreValid(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != ';')
            {
                return false;
            }

            i++;
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            var start = i;
            if (i >= text.Length || !(char.IsAsciiLetterLower(text[i]) || text[i] == '*'))
            {
                return false;
            }

            while (i < text.Length && (char.IsAsciiLetterLower(text[i]) || char.IsAsciiDigit(text[i]) || "_-.*".Contains(text[i])))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }

            if (i < text.Length && text[i] == '=')
            {
                i++;
                if (i < text.Length && text[i] == '"')
                {
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        i += text[i] == '\\' ? 2 : 1;
                    }

                    if (i >= text.Length)
                    {
                        return false;
                    }

                    i++;
                }
                else
                {
                    var valueStart = i;
                    while (i < text.Length && text[i] != ';' && (IsTokenChar(text[i]) || text[i] == '?'))
                    {
                        i++;
                    }

                    if (i == valueStart)
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }
}
