using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ServerlessGenServer.Infra.Tests.Bicep;

/// <summary>
/// Read-only navigation over a compiled ARM template: its parameters, variables, outputs and
/// resources, and the nested templates that Bicep modules compile to (deployments resources).
/// </summary>
public sealed partial class ArmTemplate(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public JsonObject Parameters => Root["parameters"]?.AsObject() ?? [];

    public JsonObject Variables => Root["variables"]?.AsObject() ?? [];

    public JsonObject Outputs => Root["outputs"]?.AsObject() ?? [];

    public IEnumerable<JsonObject> Resources =>
        Root["resources"] switch
        {
            null => [],
            JsonArray array => array.Select(r => r!.AsObject()),
            _ => throw new NotSupportedException("Only templates with a resources array (languageVersion 1) are read here."),
        };

    public IEnumerable<JsonObject> ResourcesOfType(string type) =>
        Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The one resource of <paramref name="type"/> in this template (not in nested ones).</summary>
    public JsonObject Resource(string type) => Assert.Single(ResourcesOfType(type));

    /// <summary>The module deployed under <paramref name="name"/> (a Bicep module's `name:`).</summary>
    public ArmModule Module(string name) =>
        new(Assert.Single(ResourcesOfType("Microsoft.Resources/deployments"), d => (string?)d["name"] == name));

    /// <summary>This template and every template nested in it, depth first, each with a path for messages.</summary>
    public IEnumerable<(string Path, ArmTemplate Template)> SelfAndNested(string path = "main")
    {
        yield return (path, this);
        foreach (var deployment in ResourcesOfType("Microsoft.Resources/deployments"))
        {
            var module = new ArmModule(deployment);
            foreach (var nested in module.Template.SelfAndNested($"{path}/{module.Name}"))
            {
                yield return nested;
            }
        }
    }

    /// <summary>"path:parameter" for every parameter, here or nested, with no non-empty metadata.description.</summary>
    public IReadOnlyList<string> ParametersWithoutDescription() =>
        [.. SelfAndNested()
            .SelectMany(t => t.Template.Parameters.Select(p => (t.Path, p.Key, Description: (string?)p.Value?["metadata"]?["description"])))
            .Where(p => string.IsNullOrWhiteSpace(p.Description))
            .Select(p => $"{p.Path}:{p.Key}")];

    /// <summary>Replaces each variables('name') whose value is a string with that string, quoted as in ARM.</summary>
    public string ResolveStringVariables(string expression) =>
        VariableReference().Replace(expression, match =>
            Variables[match.Groups["name"].Value] is JsonValue value && value.TryGetValue(out string? text)
                ? $"'{text}'"
                : match.Value);

    [GeneratedRegex(@"variables\('(?<name>[^']+)'\)")]
    private static partial Regex VariableReference();
}

/// <summary>A Microsoft.Resources/deployments resource: a compiled Bicep module and the values passed to it.</summary>
public sealed class ArmModule(JsonObject deployment)
{
    public JsonObject Deployment { get; } = deployment;

    public string Name => (string)Deployment["name"]!;

    public string? Condition => (string?)Deployment["condition"];

    public ArmTemplate Template => new(Deployment["properties"]!["template"]!.AsObject());

    public IReadOnlyList<string> DependsOn =>
        [.. (Deployment["dependsOn"]?.AsArray() ?? []).Select(d => (string)d!)];

    /// <summary>The value (often an ARM expression) the parent passes for the module parameter <paramref name="name"/>.</summary>
    public JsonNode? Argument(string name) =>
        Deployment["properties"]!["parameters"]?[name]?["value"]
        ?? throw new KeyNotFoundException($"Module '{Name}' is given no parameter '{name}'.");
}
