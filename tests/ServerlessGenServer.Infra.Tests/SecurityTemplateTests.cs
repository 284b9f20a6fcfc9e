using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

/// <summary>
/// Least privilege and deploy-time checks on the compiled ARM JSON: no data roles for the deploying user unless asked
/// for, parameter bounds equal to the app's own validation (a bad value fails the deployment, not the app's start), the
/// operator surface off, and an optional network restriction on storage.
/// </summary>
[Collection(SharedCompiledTemplate.Name)]
public sealed class SecurityTemplateTests(CompiledTemplateFixture compiled)
{
    [Fact]
    public void DeployingUser_GetsNoDataRoleByDefault()
    {
        var grant = compiled.Template.Parameters["grantDeployerDataRoles"]!;

        Assert.Equal("bool", (string?)grant["type"]);
        Assert.False((bool)grant["defaultValue"]!);
        Assert.StartsWith("[and(parameters('grantDeployerDataRoles')", compiled.Template.Module("deployer-roles").Condition, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RateLimiter__Capacity", typeof(RateLimiterOptions), nameof(RateLimiterOptions.Capacity), 1)]
    [InlineData("RateLimiter__Shards", typeof(RateLimiterOptions), nameof(RateLimiterOptions.Shards), 1)]
    [InlineData("RateLimiter__MaxKeysPerShard", typeof(RateLimiterOptions), nameof(RateLimiterOptions.MaxKeysPerShard), 1)]
    [InlineData("RateLimiter__RefillPerSecondMilli", typeof(RateLimiterOptions), nameof(RateLimiterOptions.RefillPerSecond), 1000)]
    [InlineData("Cache__MaxEntries", typeof(CacheOptions), nameof(CacheOptions.MaxEntries), 1)]
    [InlineData("Cache__MaxValueBytes", typeof(CacheOptions), nameof(CacheOptions.MaxValueBytes), 1)]
    [InlineData("Cache__MaxStateBytes", typeof(CacheOptions), nameof(CacheOptions.MaxStateBytes), 1)]
    [InlineData("Idempotency__WindowMinutes", typeof(IdempotencyOptions), nameof(IdempotencyOptions.WindowMinutes), 1)]
    public void Parameter_BoundsEqualTheAppsValidation(string parameter, Type options, string property, int scale)
    {
        var range = options.GetProperty(property)!.GetCustomAttribute<RangeAttribute>()!;
        var compiledParameter = compiled.Template.Parameters[parameter]!;

        Assert.Equal(Convert.ToInt64(range.Minimum, CultureInfo.InvariantCulture) * scale, (long)compiledParameter["minValue"]!);
        Assert.Equal(Convert.ToInt64(range.Maximum, CultureInfo.InvariantCulture) * scale, (long)compiledParameter["maxValue"]!);
    }

    [Fact]
    public void RefillRate_IsAnIntegerOfThousandthsWrittenAsADecimalSetting()
    {
        var value = (string)compiled.Template.Variables["appSettings"]!["RateLimiter__RefillPerSecond"]!;

        Assert.Equal(2000, (long)compiled.Template.Parameters["RateLimiter__RefillPerSecondMilli"]!["defaultValue"]!);
        Assert.Contains("div(parameters('RateLimiter__RefillPerSecondMilli'), 1000)", value, StringComparison.Ordinal);
        Assert.Contains("padLeft(string(mod(parameters('RateLimiter__RefillPerSecondMilli'), 1000)), 3, '0')", value, StringComparison.Ordinal);
        Assert.False(compiled.Template.Parameters.ContainsKey("RateLimiter__RefillPerSecond"));
    }

    [Fact]
    public void OperatorSurface_IsOffInAzureByDefault()
    {
        Assert.False((bool)compiled.Template.Parameters["OperatorApi__Enabled"]!["defaultValue"]!);
        Assert.Equal("[string(parameters('OperatorApi__Enabled'))]", (string?)compiled.Template.Variables["appSettings"]!["OperatorApi__Enabled"]);
    }

    [Fact]
    public void NetworkRestriction_IsOptional_DeniesOtherNetworksWhenASubnetIsGiven()
    {
        Assert.Equal("", (string?)compiled.Template.Parameters["appSubnetId"]!["defaultValue"]);
        var storage = compiled.Template.Module("storage");
        Assert.Equal("[parameters('appSubnetId')]", (string?)storage.Argument("allowedSubnetId"));

        var acls = storage.Template.Resource("Microsoft.Storage/storageAccounts")["properties"]!["networkAcls"]!;
        Assert.Equal("[if(empty(parameters('allowedSubnetId')), 'Allow', 'Deny')]", (string?)acls["defaultAction"]);
        Assert.Contains("parameters('allowedSubnetId')", acls["virtualNetworkRules"]!.ToString(), StringComparison.Ordinal);

        var functionApp = compiled.Template.Module("function-app");
        Assert.Equal("[parameters('appSubnetId')]", (string?)functionApp.Argument("subnetId"));
        var site = Assert.Single(functionApp.Template.ResourcesOfType("Microsoft.Web/sites"));
        Assert.Equal("[if(empty(parameters('subnetId')), null(), parameters('subnetId'))]", (string?)site["properties"]!["virtualNetworkSubnetId"]);
    }
}
