using System.Text.Json.Nodes;
using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

[Collection(SharedCompiledTemplate.Name)]
public sealed class StorageTemplateTests(CompiledTemplateFixture compiled)
{
    private ArmTemplate Storage => compiled.Template.Module("storage").Template;

    private JsonObject AccountProperties =>
        Storage.Resource("Microsoft.Storage/storageAccounts")["properties"]!.AsObject();

    [Fact]
    public void StorageAccount_Compiled_DisablesSharedKeyAccess()
    {
        Assert.False((bool)AccountProperties["allowSharedKeyAccess"]!);
        Assert.True((bool)AccountProperties["defaultToOAuthAuthentication"]!);
    }

    [Fact]
    public void StorageAccount_Compiled_RequiresHttpsAndTls12()
    {
        Assert.True((bool)AccountProperties["supportsHttpsTrafficOnly"]!);
        Assert.Equal("TLS1_2", (string?)AccountProperties["minimumTlsVersion"]);
    }

    [Fact]
    public void StorageAccount_Compiled_DisallowsPublicBlobAccess()
    {
        Assert.False((bool)AccountProperties["allowBlobPublicAccess"]!);
        var container = Storage.Resource("Microsoft.Storage/storageAccounts/blobServices/containers");
        Assert.Equal("None", (string?)container["properties"]!["publicAccess"]);
    }

    [Theory]
    [InlineData("Microsoft.Storage/storageAccounts/blobServices")]
    [InlineData("Microsoft.Storage/storageAccounts/queueServices")]
    [InlineData("Microsoft.Storage/storageAccounts/tableServices")]
    public void StorageAccount_Compiled_HasEveryServiceTheDurableBackendUses(string serviceType)
    {
        var service = Storage.Resource(serviceType);

        Assert.Equal("default", LastNameSegment((string)service["name"]!));
    }

    [Fact]
    public void DeploymentContainer_Compiled_IsTheOneTheFunctionAppDeploysFrom()
    {
        var storage = compiled.Template.Module("storage");
        Assert.Equal("app-package", (string?)storage.Argument("deploymentContainerName"));
        Assert.Contains("outputs.deploymentContainerName.value",
            (string)compiled.Template.Module("function-app").Argument("deploymentContainerName")!, StringComparison.Ordinal);
    }

    // "[format('{0}/{1}', parameters('name'), 'default')]" names the child 'default'.
    private static string LastNameSegment(string name) =>
        name.TrimEnd(']', ')').Split(',').Last().Trim().Trim('\'');
}
