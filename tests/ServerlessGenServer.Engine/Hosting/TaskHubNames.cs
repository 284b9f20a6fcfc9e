namespace ServerlessGenServer.Engine.Hosting;

/// <summary>Task hub names for the Azure Storage provider: 3 to 45 letters and digits, starting with a letter.</summary>
public static class TaskHubNames
{
    public const int MaxLength = 45;
    private const int SuffixLength = 12;

    /// <summary>A new, unique name: the letters and digits of <paramref name="prefix"/> (shortened) and a random suffix.</summary>
    public static string Unique(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var letters = new string(prefix.Where(char.IsAsciiLetterOrDigit).ToArray());
        if (letters.Length == 0 || !char.IsAsciiLetter(letters[0]))
        {
            letters = "hub" + letters;
        }

        var head = letters[..Math.Min(letters.Length, MaxLength - SuffixLength)];
        return head + Guid.NewGuid().ToString("N")[..SuffixLength];
    }
}
