using System.Text.Json.Nodes;
using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

[Collection(SharedCompiledTemplate.Name)]
public sealed class FunctionAppTemplateTests(CompiledTemplateFixture compiled)
{
    private ArmModule FunctionAppModule => compiled.Template.Module("function-app");

    private JsonObject Site => FunctionAppModule.Template.Resource("Microsoft.Web/sites");

    private JsonObject SiteProperties => Site["properties"]!.AsObject();

    [Fact]
    public void Plan_Compiled_IsFlexConsumptionOnLinux()
    {
        var plan = FunctionAppModule.Template.Resource("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.True((bool)plan["properties"]!["reserved"]!);
        Assert.Equal("functionapp,linux", (string?)Site["kind"]);
    }

    [Fact]
    public void Site_Compiled_RunsDotnetIsolated10()
    {
        var runtime = SiteProperties["functionAppConfig"]!["runtime"]!;

        Assert.Equal("dotnet-isolated", (string?)runtime["name"]);
        Assert.Equal("10.0", (string?)runtime["version"]);
    }

    [Fact]
    public void Site_Compiled_TakesScaleLimitsFromParameters()
    {
        var scale = SiteProperties["functionAppConfig"]!["scaleAndConcurrency"]!;
        Assert.Equal("[parameters('instanceMemoryMB')]", (string?)scale["instanceMemoryMB"]);
        Assert.Equal("[parameters('maximumInstanceCount')]", (string?)scale["maximumInstanceCount"]);

        Assert.Equal("[parameters('instanceMemoryMB')]", (string?)FunctionAppModule.Argument("instanceMemoryMB"));
        Assert.Equal("[parameters('maximumInstanceCount')]", (string?)FunctionAppModule.Argument("maximumInstanceCount"));
        Assert.Equal(2048, (int)compiled.Template.Parameters["instanceMemoryMB"]!["defaultValue"]!);
        Assert.Equal(100, (int)compiled.Template.Parameters["maximumInstanceCount"]!["defaultValue"]!);
    }

    [Fact]
    public void Site_Compiled_DeploysFromBlobContainerWithTheUserAssignedIdentity()
    {
        var storage = SiteProperties["functionAppConfig"]!["deployment"]!["storage"]!;

        Assert.Equal("blobContainer", (string?)storage["type"]);
        Assert.Equal("[format('{0}{1}', parameters('blobEndpoint'), parameters('deploymentContainerName'))]", (string?)storage["value"]);
        Assert.Equal("UserAssignedIdentity", (string?)storage["authentication"]!["type"]);
        Assert.Equal("[parameters('identityId')]", (string?)storage["authentication"]!["userAssignedIdentityResourceId"]);
    }

    [Fact]
    public void Site_Compiled_IsHttpsOnlyWithTls12AndNoFtpOrBasicAuth()
    {
        var siteConfig = SiteProperties["siteConfig"]!;
        Assert.True((bool)SiteProperties["httpsOnly"]!);
        Assert.Equal("1.2", (string?)siteConfig["minTlsVersion"]);
        Assert.Equal("1.2", (string?)siteConfig["scmMinTlsVersion"]);
        Assert.Equal("Disabled", (string?)siteConfig["ftpsState"]);

        var basicAuth = FunctionAppModule.Template.ResourcesOfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, basicAuth.Count);
        Assert.All(basicAuth, policy => Assert.False((bool)policy["properties"]!["allow"]!));
    }

    [Fact]
    public void Site_Compiled_RunsAsTheUserAssignedIdentityOnly()
    {
        var identity = Site["identity"]!;

        Assert.Equal("UserAssigned", (string?)identity["type"]);
        Assert.Equal("[format('{0}', parameters('identityId'))]", Assert.Single(identity["userAssignedIdentities"]!.AsObject()).Key);
        Assert.Contains("outputs.id.value", (string)FunctionAppModule.Argument("identityId")!, StringComparison.Ordinal);
    }

    [Fact]
    public void Site_Compiled_CarriesTheAzdServiceTag()
    {
        Assert.Equal("[union(parameters('tags'), createObject('azd-service-name', 'api'))]", (string?)Site["tags"]);
        Assert.Equal("[parameters('environmentName')]", (string?)compiled.Template.Variables["tags"]!["azd-env-name"]);
    }

    [Fact]
    public void AppSettings_Compiled_MergePlatformAndAppSettingsIntoTheSite()
    {
        var copy = Assert.Single(SiteProperties["siteConfig"]!["copy"]!.AsArray())!;

        Assert.Equal("appSettings", (string?)copy["name"]);
        Assert.Equal(
            "[length(items(union(variables('platformSettings'), parameters('appSettings'))))]",
            (string?)copy["count"]);
        Assert.Equal("[variables('appSettings')]", (string?)FunctionAppModule.Argument("appSettings"));
    }

    [Fact]
    public void AppSettings_Compiled_UseIdentityBasedStorage()
    {
        var settings = AppSettings();

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("[parameters('identityClientId')]", settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal("[parameters('blobEndpoint')]", settings["AzureWebJobsStorage__blobServiceUri"]);
        Assert.Equal("[parameters('queueEndpoint')]", settings["AzureWebJobsStorage__queueServiceUri"]);
        Assert.Equal("[parameters('tableEndpoint')]", settings["AzureWebJobsStorage__tableServiceUri"]);
        Assert.Contains("outputs.clientId.value", (string)FunctionAppModule.Argument("identityClientId")!, StringComparison.Ordinal);
        Assert.Contains("outputs.blobEndpoint.value", (string)FunctionAppModule.Argument("blobEndpoint")!, StringComparison.Ordinal);
        Assert.Contains("outputs.queueEndpoint.value", (string)FunctionAppModule.Argument("queueEndpoint")!, StringComparison.Ordinal);
        Assert.Contains("outputs.tableEndpoint.value", (string)FunctionAppModule.Argument("tableEndpoint")!, StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_Compiled_HaveNoStorageConnectionString()
    {
        var settings = AppSettings();

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("AzureWebJobsStorage__", StringComparison.Ordinal)
            && (k.EndsWith("accountKey", StringComparison.OrdinalIgnoreCase) || k.EndsWith("connectionString", StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain("\"AzureWebJobsStorage\"", compiled.Json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AppSettings_Compiled_AuthenticateTelemetryWithEntraId()
    {
        var settings = AppSettings();

        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Equal("[parameters('applicationInsightsConnectionString')]", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        Assert.Contains("outputs.applicationInsightsConnectionString.value",
            (string)FunctionAppModule.Argument("applicationInsightsConnectionString")!, StringComparison.Ordinal);
    }

    // On Flex Consumption the runtime is in functionAppConfig; these settings are rejected there.
    [Theory]
    [InlineData("FUNCTIONS_WORKER_RUNTIME")]
    [InlineData("FUNCTIONS_EXTENSION_VERSION")]
    [InlineData("WEBSITE_RUN_FROM_PACKAGE")]
    public void AppSettings_Compiled_OmitSettingsFlexConsumptionRejects(string name)
    {
        Assert.DoesNotContain(name, AppSettings().Keys);
        Assert.DoesNotContain(name, compiled.Json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TASKHUB_NAME", "genserver")]
    [InlineData("RateLimiter__Capacity", "10")]
    [InlineData("RateLimiter__Shards", "16")]
    [InlineData("RateLimiter__MaxKeysPerShard", "10000")]
    [InlineData("RateLimiter__Local__DenialCache", "true")]
    [InlineData("RateLimiter__Local__Grants", "true")]
    [InlineData("RateLimiter__Local__MaxGrant", "100")]
    [InlineData("RateLimiter__Local__GrantLifetime", "00:00:05")]
    [InlineData("RATELIMITER_REFILL_SCHEDULE", "0 */5 * * * *")]
    [InlineData("TIMER_WATCHDOG_SCHEDULE", "0 */5 * * * *")]
    [InlineData("Cache__MaxEntries", "1000")]
    [InlineData("Cache__MaxValueBytes", "1024")]
    [InlineData("Cache__MaxStateBytes", "28672")]
    [InlineData("OperatorApi__Enabled", "false")]
    [InlineData("Idempotency__WindowMinutes", "30")]
    [InlineData("SIGNAL_QUEUE_NAME", "genserver-signals")]
    [InlineData("ENTITY_CLEANUP_SCHEDULE", "0 0 3 * * *")]
    public void AppSettings_Compiled_SetEachAppSettingFromItsParameter(string name, string defaultValue)
    {
        var value = AppSettings()[name];
        Assert.True(
            value == $"[parameters('{name}')]" || value == $"[string(parameters('{name}'))]",
            $"App setting {name} is '{value}', not the parameter of the same name.");

        var parameter = compiled.Template.Parameters[name]!;
        Assert.Equal(defaultValue, parameter["defaultValue"]!.ToString());
    }

    /// <summary>
    /// The site's settings: the function-app module's platform settings merged with the app's own,
    /// which main.bicep passes in (as in the site's union(platformSettings, appSettings)).
    /// </summary>
    private Dictionary<string, string> AppSettings()
    {
        var platform = FunctionAppModule.Template.Variables["platformSettings"]!.AsObject();
        var app = compiled.Template.Variables["appSettings"]!.AsObject();
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in platform.Concat(app))
        {
            merged[key] = (string)value!;
        }

        return merged;
    }
}
