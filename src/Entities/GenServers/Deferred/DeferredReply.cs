using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.GenServers.Deferred;

/// <summary>
/// What a call operation that deferred returns to its caller instead of a reply: the token and how long the server
/// keeps it. The call orchestrator then asks for the reply with <see cref="AwaitOperation"/>.
/// </summary>
public sealed record DeferredReply(
    [property: JsonPropertyName(DeferredReply.Member)] string Id,
    [property: JsonPropertyName("until")] DateTimeOffset Until)
{
    public const string Member = "$deferred";

    /// <summary>The reserved operation a caller sends to be told the reply (an <see cref="AwaitReply"/>).</summary>
    public const string AwaitOperation = "$await";

    /// <summary>Orchestration instance ids of reply deliveries start so: the call sweep purges them with the calls.</summary>
    public const string DeliveryPrefix = "call-reply-";

    /// <summary>The event a caller waits for: named after the token, so a stale event never matches a reused caller id.</summary>
    public static string EventName(string id) => "$reply-" + id;

    /// <summary>The deferral in a call's reply, or null for an ordinary reply.</summary>
    public static DeferredReply? Read(JsonElement? reply) =>
        reply is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty(Member, out var id) && id.ValueKind == JsonValueKind.String
            ? r.Deserialize<DeferredReply>(GenServerJson.Options)
            : null;
}

/// <summary>The input of <see cref="DeferredReply.AwaitOperation"/>: which token, and where its caller waits.</summary>
public sealed record AwaitReply(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("to")] ReplyAddress Caller);
