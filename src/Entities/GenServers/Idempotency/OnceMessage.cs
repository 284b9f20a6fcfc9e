using System.Text.Json;

namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>
/// The input of the reserved operation <c>$once</c>: run <paramref name="Operation"/> with <paramref name="Input"/> unless a
/// message with the same <paramref name="Key"/> was applied within the last <paramref name="WindowMs"/> milliseconds; then
/// reply with what that one replied, without running anything.
/// </summary>
/// <param name="Key">The idempotency key: 1 to <see cref="MaxKeyLength"/> printable ASCII characters.</param>
/// <param name="Operation">The real operation.</param>
/// <param name="Input">The real operation's input, or null for none.</param>
/// <param name="WindowMs">How long the key is remembered: 1 ms to <see cref="MaxWindowMs"/>.</param>
public sealed record OnceMessage(string Key, string Operation, JsonElement? Input, long WindowMs)
{
    /// <summary>The reserved operation name. It is no server's method, so no client can send it by name.</summary>
    public const string OperationName = "$once";

    public const int MaxKeyLength = 128;

    /// <summary>One day, the longest window the <c>Idempotency:WindowMinutes</c> setting allows.</summary>
    public const long MaxWindowMs = 24L * 60 * 60 * 1_000;

    /// <summary>Returns why <paramref name="key"/> cannot be an idempotency key, or null when it can.</summary>
    public static string? KeyProblem(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "The idempotency key is empty.";
        }

        if (key.Length > MaxKeyLength)
        {
            return $"The idempotency key is longer than {MaxKeyLength} characters.";
        }

        var bad = key.AsSpan().IndexOfAnyExceptInRange(' ', '~');
        return bad < 0
            ? null
            : $"The idempotency key has a character at position {bad} that is not printable ASCII (space to '~').";
    }

    /// <summary>The checks the entity makes on an envelope it is handed (the front doors build only valid ones).</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The envelope is not valid.</exception>
    internal void Validate()
    {
        var problem = KeyProblem(Key)
            ?? (string.IsNullOrEmpty(Operation) ? "The operation is missing." : null)
            ?? (WindowMs is < 1 or > MaxWindowMs ? $"windowMs must be from 1 to {MaxWindowMs}." : null);
        if (problem is not null)
        {
            throw new System.ComponentModel.DataAnnotations.ValidationException($"Not a valid {OperationName} message: {problem}");
        }
    }
}
