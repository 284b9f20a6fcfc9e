using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.GenServers.Deferred;

/// <summary>
/// GenServer.reply/2's <c>from</c>: the handle of a call whose reply was deferred (<c>Defer()</c>). Keep it in the
/// server's state and answer it later with <c>Reply</c> or <c>ReplyError</c>.
/// </summary>
public sealed record ReplyToken([property: JsonPropertyName("id")] string Id);
