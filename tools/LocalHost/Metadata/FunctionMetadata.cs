using System.Text.Json;

namespace ServerlessGenServer.LocalHost.Metadata;

/// <summary>One binding of a function as functions.metadata declares it; <see cref="Properties"/> keeps every other member.</summary>
public sealed record FunctionBinding(string Name, string Type, string? Direction, IReadOnlyDictionary<string, JsonElement> Properties)
{
    public bool IsTrigger => Type.EndsWith("Trigger", StringComparison.Ordinal);

    /// <summary>A string member such as <c>route</c>, <c>schedule</c> or <c>queueName</c>, or null when absent.</summary>
    public string? Text(string name) =>
        Properties.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A string-array member such as <c>methods</c> (empty when absent).</summary>
    public IReadOnlyList<string> Texts(string name) =>
        Properties.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)]
            : [];

    public bool Flag(string name) => Properties.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.True;
}

/// <summary>One function: its name, the method that runs it (<c>Namespace.Type.Method</c>) and its bindings.</summary>
public sealed record FunctionMetadata(string Name, string ScriptFile, string EntryPoint, IReadOnlyList<FunctionBinding> Bindings)
{
    public FunctionBinding Trigger => Bindings.Single(b => b.IsTrigger);
}

/// <summary>
/// Reads the <c>functions.metadata</c> the Worker SDK writes into the build output: the same file the Functions host
/// indexes the app from, so the local host's routes, schedules and queues cannot drift from the deployed ones.
/// </summary>
public static class FunctionsMetadataFile
{
    public const string FileName = "functions.metadata";

    private static readonly HashSet<string> KnownMembers = new(StringComparer.Ordinal) { "name", "type", "direction" };

    /// <exception cref="FileNotFoundException">The folder holds no functions.metadata (the app is not built).</exception>
    /// <exception cref="InvalidDataException">The file is not the metadata array.</exception>
    public static IReadOnlyList<FunctionMetadata> Load(string outputFolder)
    {
        var path = Path.Combine(outputFolder, FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No {FileName} in {outputFolder}: build src/Functions first (dotnet build src/Functions).", path);
        }

        return Parse(File.ReadAllText(path));
    }

    public static IReadOnlyList<FunctionMetadata> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{FileName} must be a JSON array of functions.");
        }

        var functions = new List<FunctionMetadata>();
        foreach (var function in document.RootElement.EnumerateArray())
        {
            var name = Required(function, "name");
            var bindings = function.TryGetProperty("bindings", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(ReadBinding).ToList()
                : [];
            if (bindings.Count(b => b.IsTrigger) != 1)
            {
                throw new InvalidDataException($"Function '{name}' must have exactly one trigger binding.");
            }

            functions.Add(new FunctionMetadata(name, Required(function, "scriptFile"), Required(function, "entryPoint"), bindings));
        }

        return functions;
    }

    private static FunctionBinding ReadBinding(JsonElement binding) => new(
        Required(binding, "name"),
        Required(binding, "type"),
        binding.TryGetProperty("direction", out var direction) ? direction.GetString() : null,
        binding.EnumerateObject().Where(p => !KnownMembers.Contains(p.Name)).ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal));

    private static string Required(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) &&
        value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new InvalidDataException($"{FileName}: an entry has no '{name}'.");
}
