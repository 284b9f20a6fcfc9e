using System.Reflection;
using System.Text.Json;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// "The wrong HTTP method" never reaches our code: the Functions host routes a request to a function only if the
/// route and the method both match what functions.metadata declares, and answers anything else itself (404/405,
/// without a problem+json body of ours). So the contract to hold is the metadata: every HTTP function declares exactly
/// one method, and every route accepts exactly the methods listed here.
/// </summary>
public sealed class HttpMethodRoutingTests
{
    private static readonly string Output = typeof(HttpMethodRoutingTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsOutput").Value!;

    private static readonly Dictionary<string, string[]> ExpectedMethodsByRoute = new(StringComparer.Ordinal)
    {
        ["servers/{server}/{key}/call/{operation}"] = ["post"],
        ["servers/{server}/{key}/cast/{operation}"] = ["post"],
        ["servers/{server}/{key}"] = ["delete", "get"],
        ["servers/{server}"] = ["get"],
        ["calls/{instanceId}"] = ["get"],
        ["ratelimit/{key}"] = ["post"],
        ["health"] = ["get"],
    };

    [Fact]
    public void HttpFunctions_EachDeclaresExactlyOneMethod()
    {
        var methodCounts = HttpTriggers().Select(t => (t.Name, Count: t.Trigger.GetProperty("methods").GetArrayLength()));

        Assert.All(methodCounts, f => Assert.True(f.Count == 1, $"{f.Name} accepts {f.Count} methods"));
    }

    [Fact]
    public void HttpRoutes_AcceptExactlyTheirMethods()
    {
        var actual = HttpTriggers()
            .GroupBy(t => t.Trigger.GetProperty("route").GetString()!, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => g.SelectMany(t => t.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()))
                    .Order(StringComparer.Ordinal).ToArray(),
                StringComparer.Ordinal);

        Assert.Equal(ExpectedMethodsByRoute.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        Assert.All(ExpectedMethodsByRoute, e => Assert.Equal(e.Value, actual[e.Key]));
    }

    private static List<(string Name, JsonElement Trigger)> HttpTriggers() => JsonDocument
        .Parse(File.ReadAllText(Path.Combine(Output, "functions.metadata")))
        .RootElement.EnumerateArray()
        .Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: f.GetProperty("bindings").EnumerateArray()
            .SingleOrDefault(b => b.GetProperty("type").GetString() == "httpTrigger")))
        .Where(f => f.Trigger.ValueKind == JsonValueKind.Object)
        .ToList();
}
