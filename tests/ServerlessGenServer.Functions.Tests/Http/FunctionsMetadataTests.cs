using System.Reflection;
using System.Text.Json;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Tests.Http;

/// <summary>
/// The contract with the Functions host: functions.metadata is what the host reads to index the app
/// (triggers, routes, methods, authorization levels). These tests read the real build output.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly string Output = typeof(FunctionsMetadataTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsOutput").Value!;

    private static readonly Dictionary<string, JsonElement> Functions = JsonDocument
        .Parse(File.ReadAllText(Path.Combine(Output, "functions.metadata")))
        .RootElement.EnumerateArray()
        .ToDictionary(f => f.GetProperty("name").GetString()!, f => f);

    public static TheoryData<string, string, string, string> HttpFunctions => new()
    {
        { "ServersCall", "post", "servers/{server}/{key}/call/{operation}", "Function" },
        { "ServersCast", "post", "servers/{server}/{key}/cast/{operation}", "Function" },
        { "ServersGet", "get", "servers/{server}/{key}", "Admin" },
        { "ServersDelete", "delete", "servers/{server}/{key}", "Admin" },
        { "ServersList", "get", "servers/{server}", "Admin" },
        { "CallsGet", "get", "calls/{instanceId}", "Function" },
        { "RateLimitCheck", "post", "ratelimit/{key}", "Function" },
        { "Health", "get", "health", "Anonymous" },
    };

    [Theory]
    [MemberData(nameof(HttpFunctions))]
    public void HttpFunction_IsIndexedWithRouteMethodAndAuthLevel(string name, string method, string route, string authLevel)
    {
        var trigger = Trigger(name);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void EveryRegisteredGenServer_HasAnEntityTriggerOfItsName()
    {
        var entityTriggers = Functions
            .Where(f => Trigger(f.Key).GetProperty("type").GetString() == "entityTrigger")
            .Select(f => f.Key.ToLowerInvariant())
            .Order(StringComparer.Ordinal);

        Assert.Equal(GenServerRegistry.Default.Servers.Select(s => s.Name).Order(StringComparer.Ordinal), entityTriggers);
    }

    [Fact]
    public void CallOrchestrator_IsAnOrchestrationTrigger()
    {
        Assert.Equal("orchestrationTrigger", Trigger("CallOrchestrator").GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("TimerWatchdog", "TIMER_WATCHDOG_SCHEDULE")]
    [InlineData("RefillTimer", "RATELIMITER_REFILL_SCHEDULE")]
    [InlineData("EntityCleanupTimer", "ENTITY_CLEANUP_SCHEDULE")]
    public void TimerFunction_IsIndexedWithItsScheduleSettingAndALocalDefault(string name, string setting)
    {
        var trigger = Trigger(name);
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "local.settings.json")));

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal($"%{setting}%", trigger.GetProperty("schedule").GetString());
        Assert.False(string.IsNullOrEmpty(settings.RootElement.GetProperty("Values").GetProperty(setting).GetString()));
    }

    [Fact]
    public void CallSweepTimer_RunsEveryMinute()
    {
        var trigger = Trigger("CallSweepTimer");

        Assert.Equal(("timerTrigger", "0 * * * * *"), (trigger.GetProperty("type").GetString(), trigger.GetProperty("schedule").GetString()));
    }

    [Fact]
    public void EveryHttpFunction_IsInTheContractTable()
    {
        var http = Functions.Keys.Where(name => Trigger(name).GetProperty("type").GetString() == "httpTrigger").Order(StringComparer.Ordinal);

        Assert.Equal(HttpFunctions.Select(row => (string)row[0]).Order(StringComparer.Ordinal), http);
    }

    [Fact]
    public void OnlyTheOperatorSurface_NeedsTheAdminKey_AndOnlyHealthIsAnonymous()
    {
        var levels = Functions.Keys
            .Where(name => Trigger(name).GetProperty("type").GetString() == "httpTrigger")
            .ToLookup(name => Trigger(name).GetProperty("authLevel").GetString());

        Assert.Equal(["Health"], levels["Anonymous"]);
        Assert.Equal(["ServersDelete", "ServersGet", "ServersList"], levels["Admin"].Order(StringComparer.Ordinal));
        Assert.Equal(Functions.Keys.Count(name => Trigger(name).GetProperty("type").GetString() == "httpTrigger") - 4, levels["Function"].Count());
    }

    [Fact]
    public void NoRoute_UsesTheHostsReservedAdminPrefix()
    {
        var routes = Functions.Keys
            .Where(name => Trigger(name).GetProperty("type").GetString() == "httpTrigger")
            .Select(name => Trigger(name).GetProperty("route").GetString()!);

        Assert.DoesNotContain(routes, r => r.StartsWith("admin", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("host.json")]
    [InlineData("local.settings.json")]
    public void HostFiles_AreTheRootCopies(string file)
    {
        var root = Path.GetFullPath(Path.Combine(Output, "../../../../.."));

        Assert.Equal(File.ReadAllText(Path.Combine(root, file)), File.ReadAllText(Path.Combine(Output, file)));
    }

    [Fact]
    public void LocalSettings_RunIsolatedOnAzuriteWithoutSecrets()
    {
        var values = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "local.settings.json"))).RootElement.GetProperty("Values");

        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("true", values.GetProperty("OperatorApi__Enabled").GetString());
        Assert.DoesNotContain(values.EnumerateObject(), v => v.Value.ToString().Contains("AccountKey=", StringComparison.OrdinalIgnoreCase));
    }

    private static JsonElement Trigger(string function)
    {
        Assert.True(Functions.TryGetValue(function, out var f), $"{function} is not in functions.metadata");
        return f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
    }
}
