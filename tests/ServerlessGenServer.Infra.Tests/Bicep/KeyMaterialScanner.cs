using System.Text.RegularExpressions;

namespace ServerlessGenServer.Infra.Tests.Bicep;

/// <summary>
/// Finds ways a template could read, hold or hand out a key: list* functions that return keys or
/// SAS tokens, and connection strings that embed a key or a signature.
/// </summary>
public static class KeyMaterialScanner
{
    private static readonly (string Name, Regex Pattern)[] Patterns =
    [
        ("listKeys", new Regex(@"\blistKeys\s*\(", RegexOptions.IgnoreCase)),
        ("list*Sas", new Regex(@"\blist(Account|Service)Sas\s*\(", RegexOptions.IgnoreCase)),
        ("listConnectionStrings", new Regex(@"\blistConnectionStrings\s*\(", RegexOptions.IgnoreCase)),
        ("AccountKey=", new Regex(@"AccountKey\s*=", RegexOptions.IgnoreCase)),
        ("SharedAccessKey=", new Regex(@"SharedAccessKey\s*=", RegexOptions.IgnoreCase)),
        ("SharedAccessSignature=", new Regex(@"SharedAccessSignature\s*=", RegexOptions.IgnoreCase)),
        ("storage connection string", new Regex(@"DefaultEndpointsProtocol\s*=", RegexOptions.IgnoreCase)),
        ("development storage", new Regex(@"UseDevelopmentStorage\s*=", RegexOptions.IgnoreCase)),
    ];

    /// <summary>The names of the patterns found in <paramref name="text"/>; empty when it holds none.</summary>
    public static IReadOnlyList<string> Find(string text) =>
        [.. Patterns.Where(p => p.Pattern.IsMatch(text)).Select(p => p.Name)];
}
