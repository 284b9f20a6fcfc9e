using System.Text.Json.Serialization;
using ServerlessGenServer.Entities.Calls;

namespace ServerlessGenServer.Entities.GenServers.Deferred;

/// <summary>
/// A deferred call as the envelope keeps it until it expires: where its caller waits (once the caller said so), and
/// its outcome when the server answered before the caller was known. <paramref name="Answered"/> stays set until
/// expiry so that a second answer is refused.
/// </summary>
public sealed record PendingReply(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("until")] DateTimeOffset Until,
    [property: JsonPropertyName("to"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReplyAddress? Caller = null,
    [property: JsonPropertyName("out"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CallOutcome? Outcome = null,
    [property: JsonPropertyName("done"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Answered = false);

/// <summary>Where a deferred reply goes: the caller's orchestration instance and the event it waits for.</summary>
public sealed record ReplyAddress(
    [property: JsonPropertyName("i")] string Instance,
    [property: JsonPropertyName("e")] string Event);
