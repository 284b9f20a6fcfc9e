using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// What the runtime persists for a GenServer: <c>{"$v": version, "state": {...}, "timers": {...}, "once": [...],
/// "seen": [...], "replies": [...], "tasks": {...}}</c>.
/// The server's own state is a plain record under <c>state</c>; the runtime's bookkeeping (its timers, its idempotency
/// ledger: the newest keys in full under <c>once</c>, every key in the window as a hash under <c>seen</c>) sits beside
/// it, each member written only while it has entries.
/// </summary>
/// <remarks>
/// Version 0 is the format before the envelope: the server's record itself, with the ledger under <c>$once</c>. It is
/// read as an envelope of version 0 and upgraded by the server's <c>CodeChange</c> on first load.
/// </remarks>
[JsonConverter(typeof(GenServerEnvelopeConverter))]
public sealed class GenServerEnvelope
{
    /// <summary>The member that tells an envelope from a version 0 state (no server record can name a member so).</summary>
    public const string VersionMember = "$v";

    /// <summary>The version 0 member of the idempotency ledger.</summary>
    public const string LegacyLedgerMember = "$once";

    internal const string StateMember = "state";
    internal const string TimersMember = "timers";
    internal const string LedgerMember = "once";
    internal const string SeenMember = "seen";
    internal const string RepliesMember = "replies";
    internal const string TasksMember = "tasks";

    /// <summary>The state version the record was written with (0: before the envelope).</summary>
    public int Version { get; internal set; }

    /// <summary>The record as stored, until the runtime has read it as the server's type (then null).</summary>
    public JsonElement? Stored { get; internal set; }

    /// <summary>The record, once read (or upgraded) as the server's state type.</summary>
    internal object? State { get; set; }

    internal Dictionary<string, GenServerTimer>? Timers { get; set; }

    internal List<OnceEntry>? Once { get; set; }

    internal SeenKeys? Seen { get; set; }

    /// <summary>Deferred calls waiting for their reply (Defer / Reply).</summary>
    internal List<PendingReply>? Pending { get; set; }

    /// <summary>Tasks in flight (StartTask), by task id.</summary>
    internal Dictionary<string, TaskInFlight>? Tasks { get; set; }

    /// <summary>
    /// The server's own state in a persisted entity state, for readers outside the entity (the servers API, tests):
    /// the <c>state</c> member of an envelope, or a version 0 record without its ledger. Null for no state.
    /// </summary>
    public static JsonNode? ServerState(string? persisted)
    {
        if (persisted is null)
        {
            return null;
        }

        var envelope = JsonSerializer.Deserialize<GenServerEnvelope>(persisted, GenServerJson.Options);
        return envelope?.Stored is { } stored ? JsonNode.Parse(stored.GetRawText()) : null;
    }

    /// <summary>
    /// The firings of the timers in a persisted entity state that were due before <paramref name="dueBefore"/>: for the
    /// watchdog, which sends them again. A firing that was only late finds its timer handled already and does nothing.
    /// </summary>
    public static IReadOnlyList<TimerFiring> OverdueFirings(string? persisted, DateTimeOffset dueBefore)
    {
        if (persisted is null)
        {
            return [];
        }

        var envelope = JsonSerializer.Deserialize<GenServerEnvelope>(persisted, GenServerJson.Options);
        return envelope?.Timers is { } timers
            ? [.. timers.Where(t => t.Value.Due < dueBefore).Select(t => new TimerFiring(t.Key, t.Value.Generation))]
            : [];
    }

    /// <summary>The persisted form of <paramref name="state"/> at <paramref name="version"/>, with no timers and no ledger (for tests and benchmarks).</summary>
    public static string Persisted(object state, int version = 1)
    {
        ArgumentNullException.ThrowIfNull(state);
        return JsonSerializer.Serialize(new GenServerEnvelope { Version = version, State = state }, GenServerJson.Options);
    }

    /// <summary>The server's own state in a persisted entity state, read as <typeparamref name="TState"/> (no upgrade is run).</summary>
    public static TState? ServerState<TState>(string? persisted) =>
        ServerState(persisted) is { } node ? node.Deserialize<TState>(GenServerJson.Options) : default;
}

/// <summary>Reads both formats (envelope, version 0) and writes the envelope.</summary>
internal sealed class GenServerEnvelopeConverter : JsonConverter<GenServerEnvelope>
{
    public override GenServerEnvelope Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var root = JsonElement.ParseValue(ref reader);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(GenServerEnvelope.VersionMember, out var version))
        {
            var ledger = root.TryGetProperty(GenServerEnvelope.LedgerMember, out var once)
                ? once.Deserialize<List<OnceEntry>>(GenServerJson.Options)
                : null;
            return new GenServerEnvelope
            {
                Version = version.GetInt32(),
                Stored = root.TryGetProperty(GenServerEnvelope.StateMember, out var state) ? state : null,
                Timers = root.TryGetProperty(GenServerEnvelope.TimersMember, out var timers)
                    ? timers.Deserialize<Dictionary<string, GenServerTimer>>(GenServerJson.Options)
                    : null,
                Once = ledger,
                Seen = root.TryGetProperty(GenServerEnvelope.SeenMember, out var seen) ? SeenKeys.Read(seen) : SeenFrom(ledger),
                Pending = root.TryGetProperty(GenServerEnvelope.RepliesMember, out var replies)
                    ? replies.Deserialize<List<PendingReply>>(GenServerJson.Options)
                    : null,
                Tasks = root.TryGetProperty(GenServerEnvelope.TasksMember, out var tasks)
                    ? tasks.Deserialize<Dictionary<string, TaskInFlight>>(GenServerJson.Options)
                    : null,
            };
        }

        // Version 0: the record itself, the ledger among its members.
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(GenServerEnvelope.LegacyLedgerMember, out var legacy))
        {
            var record = JsonNode.Parse(root.GetRawText())!.AsObject();
            record.Remove(GenServerEnvelope.LegacyLedgerMember);
            var ledger = legacy.Deserialize<List<OnceEntry>>(GenServerJson.Options);
            return new GenServerEnvelope
            {
                Stored = JsonSerializer.SerializeToElement(record, GenServerJson.Options),
                Once = ledger,
                Seen = SeenFrom(ledger),
            };
        }

        return new GenServerEnvelope { Stored = root };
    }

    public override void Write(Utf8JsonWriter writer, GenServerEnvelope value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber(GenServerEnvelope.VersionMember, value.Version);
        writer.WritePropertyName(GenServerEnvelope.StateMember);
        if (value.State is { } state)
        {
            JsonSerializer.Serialize(writer, state, state.GetType(), GenServerJson.Options);
        }
        else if (value.Stored is { } stored)
        {
            stored.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        if (value.Timers is { Count: > 0 } timers)
        {
            writer.WritePropertyName(GenServerEnvelope.TimersMember);
            JsonSerializer.Serialize(writer, timers, GenServerJson.Options);
        }

        if (value.Once is { Count: > 0 } once)
        {
            writer.WritePropertyName(GenServerEnvelope.LedgerMember);
            JsonSerializer.Serialize(writer, once, GenServerJson.Options);
        }

        if (value.Seen is { Count: > 0 } seen)
        {
            writer.WritePropertyName(GenServerEnvelope.SeenMember);
            seen.Write(writer);
        }

        if (value.Pending is { Count: > 0 } pending)
        {
            writer.WritePropertyName(GenServerEnvelope.RepliesMember);
            JsonSerializer.Serialize(writer, pending, GenServerJson.Options);
        }

        if (value.Tasks is { Count: > 0 } inFlight)
        {
            writer.WritePropertyName(GenServerEnvelope.TasksMember);
            JsonSerializer.Serialize(writer, inFlight, GenServerJson.Options);
        }

        writer.WriteEndObject();
    }

    // A ledger written before the set of seen keys existed: its keys join the set, so they are still recognised once
    // newer keys push them out of the full records.
    private static SeenKeys? SeenFrom(List<OnceEntry>? ledger) => ledger is { Count: > 0 } ? SeenKeys.From(ledger) : null;
}
