using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>The messages one GenServer type understands: its public methods, read once per type.</summary>
public sealed class GenServerOperations
{
    private static readonly ConcurrentDictionary<Type, GenServerOperations> Cache = new();
    private readonly FrozenDictionary<string, GenServerOperation> _byName;
    private readonly FrozenDictionary<string, GenServerOperation> _byFormerName;

    private GenServerOperations(Type serverType)
    {
        var methods = serverType
            .GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => !m.IsSpecialName && IsDeclaredByServer(m.DeclaringType!))
            .ToList();
        var overloaded = methods.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (overloaded is not null)
        {
            throw new InvalidOperationException(
                $"{serverType.Name} has more than one method named '{overloaded.Key}'; operation names must be unique.");
        }

        _byName = methods.Select(m => new GenServerOperation(m))
            .ToFrozenDictionary(o => o.Name, StringComparer.OrdinalIgnoreCase);
        var former = _byName.Values.SelectMany(o => o.FormerNames.Select(n => (Name: n, Operation: o))).ToList();
        if (former.Select(f => f.Name).Concat(_byName.Keys).GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } clash)
        {
            throw new InvalidOperationException(
                $"{serverType.Name} uses the name '{clash.Key}' twice among its operations' names and former names.");
        }

        _byFormerName = former.ToFrozenDictionary(f => f.Name, f => f.Operation, StringComparer.OrdinalIgnoreCase);
    }

    public IEnumerable<GenServerOperation> All => _byName.Values;

    public static GenServerOperations For(Type serverType) => Cache.GetOrAdd(serverType, t => new GenServerOperations(t));

    /// <summary>Operations the entity runtime handles itself (deleting the state).</summary>
    public static bool IsImplicit(string operation) => string.Equals(operation, "delete", StringComparison.OrdinalIgnoreCase);

    public bool TryGet(string name, [NotNullWhen(true)] out GenServerOperation? operation) =>
        _byName.TryGetValue(name, out operation);

    /// <summary>The operation a message names, by its current name or a <see cref="FormerNameAttribute"/>: what the entity runs.</summary>
    public bool TryResolve(string name, [NotNullWhen(true)] out GenServerOperation? operation) =>
        _byName.TryGetValue(name, out operation) || _byFormerName.TryGetValue(name, out operation);

    // Methods of the concrete server, not those of GenServer<T> or object.
    private static bool IsDeclaredByServer(Type declaringType) =>
        declaringType != typeof(object) &&
        !(declaringType.IsGenericType && declaringType.GetGenericTypeDefinition() == typeof(GenServer<>));
}
