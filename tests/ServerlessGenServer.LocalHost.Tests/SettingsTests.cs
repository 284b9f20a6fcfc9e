using Microsoft.Extensions.Configuration;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Tests;

public sealed class SettingsTests
{
    [Fact]
    public void Build_ValuesEnvironmentAndOverrides_LaterWinsAndDoubleUnderscoreIsASection()
    {
        var settings = LocalSettings.Parse("""
            { "IsEncrypted": false, "Values": { "A_ONLY_FILE": "file", "RateLimiter__Capacity": "10", "OVERRIDDEN": "file" },
              "Host": { "LocalHttpPort": 7123 } }
            """);

        var (configuration, _) = settings.Build(new Dictionary<string, string?> { ["OVERRIDDEN"] = "option" });

        Assert.Equal(7123, settings.LocalHttpPort);
        Assert.Equal("file", configuration["A_ONLY_FILE"]);
        Assert.Equal("10", configuration["RateLimiter:Capacity"]);
        Assert.Equal("option", configuration["OVERRIDDEN"]);
    }

    [Fact]
    public void Build_EnvironmentVariableSet_ItWinsOverTheFileAndIsReported()
    {
        var name = $"LOCALHOST_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(name, "environment");
        try
        {
            var settings = LocalSettings.Parse($$"""{ "Values": { "{{name}}": "file" } }""");

            var (configuration, fromEnvironment) = settings.Build();

            Assert.Equal("environment", configuration[name]);
            Assert.Equal([name], fromEnvironment);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Resolve_PercentName_TheSettingOtherwiseTheTextItself()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("SIGNAL_QUEUE_NAME", (string?)"signals")]).Build();

        Assert.Equal("signals", AppSettingExpression.Resolve("%SIGNAL_QUEUE_NAME%", configuration));
        Assert.Equal("literal-queue", AppSettingExpression.Resolve("literal-queue", configuration));
        var missing = Assert.Throws<InvalidOperationException>(() => AppSettingExpression.Resolve("%NOT_SET%", configuration));
        Assert.Contains("NOT_SET", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RepositoryLocalSettings_HaveEverySettingTheMetadataNames()
    {
        var output = LocalHostOptions.DefaultFunctionsOutput;
        var (configuration, _) = LocalSettings.Load(output).Build();
        var expressions = FunctionsMetadataFile.Load(output)
            .SelectMany(f => f.Bindings)
            .SelectMany(b => new[] { b.Text("schedule"), b.Text("queueName") })
            .OfType<string>()
            .Append(HostJson.Load(output).HubName)
            .ToList();

        Assert.Contains("%ENTITY_CLEANUP_SCHEDULE%", expressions);
        Assert.All(expressions, e => Assert.False(string.IsNullOrEmpty(AppSettingExpression.Resolve(e, configuration))));
    }
}
