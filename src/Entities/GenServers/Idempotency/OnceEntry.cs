using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>One applied idempotent message in a server's ledger. Short member names: the ledger is written with every operation.</summary>
/// <param name="Key">The idempotency key.</param>
/// <param name="AtMs">When it was applied (Unix milliseconds, the server's <see cref="TimeProvider"/>).</param>
/// <param name="ExpiresMs">When the key is forgotten (Unix milliseconds): applied time plus the message's window.</param>
/// <param name="Fingerprint">XxHash64 of the operation name and input: a key sent again with another message is refused.</param>
/// <param name="Reply">The reply's JSON; null for a cast, a null reply, or a reply that was not kept.</param>
/// <param name="ReplyDropped">The reply was too large to keep: a repeat is refused as already applied.</param>
public sealed record OnceEntry(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("at")] long AtMs,
    [property: JsonPropertyName("exp")] long ExpiresMs,
    [property: JsonPropertyName("fp")] string Fingerprint,
    [property: JsonPropertyName("reply"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Reply = null,
    [property: JsonPropertyName("dropped"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool ReplyDropped = false)
{
    /// <summary>The characters the kept reply adds to the state (the state is written ASCII-escaped, so bytes too).</summary>
    [JsonIgnore]
    public int ReplySize => Reply is { } reply ? reply.GetRawText().Length : 0;
}
