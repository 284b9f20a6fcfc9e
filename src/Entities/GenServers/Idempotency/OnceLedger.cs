using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>
/// The rules of the full records of a server's idempotency ledger (key, fingerprint, reply). They are bounded three
/// ways: records expire after their window, at most <see cref="MaxEntries"/> are kept (the oldest goes first; its key
/// stays in <see cref="SeenKeys"/> until its window has passed), and replies are kept only up to
/// <see cref="MaxReplyChars"/> each and <see cref="MaxKeptReplyChars"/> together (past that the oldest replies are dropped,
/// their keys kept: a repeat is then refused as already applied instead of being applied twice).
/// </summary>
public static class OnceLedger
{
    public const int MaxEntries = 128;

    /// <summary>The largest reply kept, in characters of its JSON as stored (8 KiB).</summary>
    public const int MaxReplyChars = 8 * 1024;

    /// <summary>The most reply JSON one ledger keeps in all (16 KiB), so a ledger stays far below the backend's limits.</summary>
    public const int MaxKeptReplyChars = 16 * 1024;

    /// <summary>The live entry for <paramref name="key"/>, or null when the key is unknown or its window has passed.</summary>
    public static OnceEntry? Find(List<OnceEntry>? ledger, string key, long nowMs) =>
        ledger?.Find(e => e.ExpiresMs > nowMs && string.Equals(e.Key, key, StringComparison.Ordinal));

    /// <summary>
    /// Adds <paramref name="entry"/> after dropping expired entries and any older entry with its key, then applies the bounds.
    /// Returns the ledger to store (a new one when <paramref name="ledger"/> is null).
    /// </summary>
    public static List<OnceEntry> Record(List<OnceEntry>? ledger, OnceEntry entry, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ledger ??= [];
        ledger.RemoveAll(e => e.ExpiresMs <= nowMs || string.Equals(e.Key, entry.Key, StringComparison.Ordinal));
        ledger.Add(entry);
        if (ledger.Count > MaxEntries)
        {
            ledger.RemoveRange(0, ledger.Count - MaxEntries);
        }

        var kept = ledger.Sum(e => e.ReplySize);
        for (var i = 0; kept > MaxKeptReplyChars && i < ledger.Count - 1; i++)
        {
            if (ledger[i].Reply is not null)
            {
                kept -= ledger[i].ReplySize;
                ledger[i] = ledger[i] with { Reply = null, ReplyDropped = true };
            }
        }

        return ledger;
    }

    /// <summary>The entry for a message just applied: its reply kept when small enough.</summary>
    public static OnceEntry Applied(OnceMessage message, object? reply, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(message);
        var json = reply is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(reply, reply.GetType(), GenServerJson.Options);
        var entry = new OnceEntry(message.Key, nowMs, nowMs + message.WindowMs, Fingerprint(message), json);
        return entry.ReplySize > MaxReplyChars ? entry with { Reply = null, ReplyDropped = true } : entry;
    }

    /// <summary>What identifies a message besides its key: XxHash64 of the operation (any case) and the input's JSON, in hex.</summary>
    public static string Fingerprint(OnceMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.Operation.ToUpperInvariant() + "\n" + (message.Input?.GetRawText() ?? "");
        return Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(text)));
    }
}
