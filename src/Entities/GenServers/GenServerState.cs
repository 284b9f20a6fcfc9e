using System.Text.Json.Serialization;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// The base of every GenServer's state record. It carries what the GenServer base keeps for itself beside the
/// server's own state: the idempotency ledger, under the reserved member <c>$once</c>, written only while it has entries,
/// so a state that never saw an idempotent message serializes exactly as its own members (<c>{"value":43}</c>).
/// </summary>
public abstract record GenServerState
{
    /// <summary>The reserved JSON member of the ledger. A server's own state must not use it.</summary>
    public const string LedgerMember = "$once";

    /// <summary>
    /// The idempotent messages applied recently, oldest first; null when there are none. Kept by <see cref="GenServer{TState}"/>:
    /// a server never touches it, and replacing the whole state (<c>State = new ...()</c>) does not lose it.
    /// </summary>
    [JsonPropertyName(LedgerMember)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<OnceEntry>? Once { get; set; }
}
