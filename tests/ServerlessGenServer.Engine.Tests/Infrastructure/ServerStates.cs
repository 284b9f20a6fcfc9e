using System.Text.Json;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>A GenServer's stored entity state, read through the runtime's envelope.</summary>
/// <param name="State">The server's own state.</param>
/// <param name="Stored">The stored JSON, envelope and all.</param>
public sealed record ServerStateRead<T>(T State, DateTimeOffset LastModifiedTime, string Stored)
{
    /// <summary>When the named timer is due, or null when it is not armed.</summary>
    public DateTimeOffset? TimerDue(string name)
    {
        using var json = JsonDocument.Parse(Stored);
        return json.RootElement.TryGetProperty("timers", out var timers) && timers.TryGetProperty(name, out var timer)
            ? timer.GetProperty("due").GetDateTimeOffset()
            : null;
    }
}

public static class ServerStates
{
    /// <summary>The server's state in the entity's stored envelope, or null when the entity has no state.</summary>
    public static async Task<ServerStateRead<T>?> GetServerStateAsync<T>(this DurableEntityClient entities, EntityInstanceId id)
    {
        ArgumentNullException.ThrowIfNull(entities);
        var found = await entities.GetEntityAsync(id, includeState: true);
        return found?.State.Value is { } stored && GenServerEnvelope.ServerState<T>(stored) is { } state
            ? new ServerStateRead<T>(state, found.LastModifiedTime, stored)
            : null;
    }
}
