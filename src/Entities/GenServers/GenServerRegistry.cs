using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.Ticking;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>A registered GenServer: its name (the entity name), its class and its messages.</summary>
public sealed record GenServerDescriptor(string Name, Type EntityType, GenServerOperations Operations);

/// <summary>
/// The one list of GenServers. The Functions app, the engine host and the benchmarks all read it,
/// so a server is registered once. A server's name is its class name in lower case, which is also
/// the entity name Durable Functions uses for the class's entity trigger.
/// </summary>
public sealed class GenServerRegistry
{
    private readonly FrozenDictionary<string, GenServerDescriptor> _byName;

    public GenServerRegistry(IEnumerable<Type> serverTypes)
    {
        _byName = serverTypes
            .Select(t => new GenServerDescriptor(NameOf(t), t, GenServerOperations.For(t)))
            .ToFrozenDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every GenServer this app runs.</summary>
    public static GenServerRegistry Default { get; } = new([
        typeof(Counter),
        typeof(Ticker),
        typeof(Cache),
        typeof(RateLimiter),
        typeof(Gateway.Gateway),
    ]);

    public IEnumerable<GenServerDescriptor> Servers => _byName.Values;

    /// <summary>The entity name of a GenServer class: its class name in lower case (Durable stores entity names so).</summary>
    public static string NameOf(Type serverType) => serverType.Name.ToLowerInvariant();

    public bool TryGet(string name, [NotNullWhen(true)] out GenServerDescriptor? server) =>
        _byName.TryGetValue(name, out server);

}
