using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;

namespace ServerlessGenServer.Entities.GenServers.Tasks;

/// <summary>A registered work class, named by its class name.</summary>
public sealed record GenServerWorkDescriptor(string Name, Type WorkType);

/// <summary>The work classes the app registered: runs one by name, in a DI scope of its own (the task activity's body).</summary>
public sealed class GenServerWorks(IServiceScopeFactory scopes, IEnumerable<GenServerWorkDescriptor> works)
{
    private readonly FrozenDictionary<string, GenServerWorkDescriptor> _byName =
        works.ToFrozenDictionary(w => w.Name, StringComparer.Ordinal);

    /// <summary>The activity every task runs as.</summary>
    public const string ActivityName = "GenServerTask";

    public static string NameOf(Type workType) => workType.Name;

    public async Task<JsonElement?> RunAsync(WorkItem item, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!_byName.TryGetValue(item.Work, out var work))
        {
            throw new InvalidOperationException($"No work class '{item.Work}' is registered (AddGenServerWork).");
        }

        await using var scope = scopes.CreateAsyncScope();
        var instance = (IGenServerWork)scope.ServiceProvider.GetRequiredService(work.WorkType);
        return await instance.RunAsync(item.Input, cancellation);
    }
}

/// <summary>The activity's input: which work, on what.</summary>
public sealed record WorkItem(
    [property: JsonPropertyName("work")] string Work,
    [property: JsonPropertyName("in")] JsonElement? Input);
