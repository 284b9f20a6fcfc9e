using System.Text.Json.Nodes;
using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

[Collection(SharedCompiledTemplate.Name)]
public sealed class TemplateHygieneTests(CompiledTemplateFixture compiled)
{
    [Fact]
    public void CompiledTemplate_Anywhere_HoldsNoKeyMaterial()
    {
        Assert.NotEmpty(compiled.Json);

        Assert.Empty(KeyMaterialScanner.Find(compiled.Json));
    }

    [Theory]
    [InlineData("\"[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').keys[0].value]\"", "listKeys")]
    [InlineData("\"[format('DefaultEndpointsProtocol=https;AccountName={0};AccountKey={1}', 'st', 'k')]\"", "AccountKey=")]
    [InlineData("\"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc\"", "SharedAccessKey=")]
    [InlineData("\"[listAccountSas('st', '2023-01-01', createObject()).accountSasToken]\"", "list*Sas")]
    [InlineData("\"UseDevelopmentStorage=true\"", "development storage")]
    public void KeyMaterialScanner_TextWithKey_FindsIt(string text, string expected)
    {
        Assert.Contains(expected, KeyMaterialScanner.Find(text));
    }

    [Fact]
    public void ApplicationInsights_Compiled_DisablesLocalAuth()
    {
        var monitoring = compiled.Template.Module("monitoring").Template;

        var component = monitoring.Resource("Microsoft.Insights/components");
        Assert.True((bool)component["properties"]!["DisableLocalAuth"]!);
        var workspace = monitoring.Resource("Microsoft.OperationalInsights/workspaces");
        Assert.True((bool)workspace["properties"]!["features"]!["disableLocalAuth"]!);
        Assert.Equal("[resourceId('Microsoft.OperationalInsights/workspaces', parameters('logAnalyticsName'))]",
            (string?)component["properties"]!["WorkspaceResourceId"]);
    }

    [Fact]
    public void Identity_Compiled_IsUserAssigned()
    {
        var identity = compiled.Template.Module("identity").Template;

        Assert.Single(identity.ResourcesOfType("Microsoft.ManagedIdentity/userAssignedIdentities"));
        Assert.Equal("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('name')), '2024-11-30').clientId]",
            (string?)identity.Outputs["clientId"]!["value"]);
    }

    [Fact]
    public void Parameters_EveryTemplate_HaveDescriptions()
    {
        Assert.Empty(compiled.Template.ParametersWithoutDescription());
    }

    [Fact]
    public void ParametersWithoutDescription_ParameterLacksOne_NamesIt()
    {
        var template = new ArmTemplate(JsonNode.Parse("""
            {
              "parameters": {
                "described": { "type": "string", "metadata": { "description": "Has one." } },
                "bare": { "type": "string" }
              },
              "resources": [
                {
                  "type": "Microsoft.Resources/deployments",
                  "name": "child",
                  "properties": { "template": { "parameters": { "empty": { "type": "int", "metadata": { "description": " " } } }, "resources": [] } }
                }
              ]
            }
            """)!.AsObject());

        Assert.Equal(["main:bare", "main/child:empty"], template.ParametersWithoutDescription());
    }

    [Theory]
    [InlineData("AZURE_LOCATION")]
    [InlineData("AZURE_TENANT_ID")]
    [InlineData("AZURE_RESOURCE_GROUP")]
    [InlineData("AZURE_FUNCTION_APP_NAME")]
    [InlineData("AZURE_STORAGE_ACCOUNT_NAME")]
    [InlineData("SERVICE_API_NAME")]
    [InlineData("SERVICE_API_URI")]
    public void Outputs_Compiled_IncludeWhatAzdAndTheDocsRead(string name)
    {
        var output = compiled.Template.Outputs[name];

        Assert.NotNull(output);
        Assert.Equal("string", (string?)output["type"]);
    }

    [Fact]
    public void ServiceUri_Compiled_IsHttpsOnTheDefaultHostName()
    {
        var uri = compiled.Template.Module("function-app").Template.Outputs["uri"]!;

        Assert.Equal("[format('https://{0}', reference(resourceId('Microsoft.Web/sites', parameters('name')), '2025-03-01').defaultHostName)]",
            (string?)uri["value"]);
    }

    [Fact]
    public void ResourceNames_Compiled_DeriveFromTheResourceToken()
    {
        Assert.Equal("[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]",
            (string?)compiled.Template.Variables["resourceToken"]);
        Assert.Contains("variables('resourceToken')", (string)compiled.Template.Variables["storageAccountName"]!, StringComparison.Ordinal);
        Assert.Contains("variables('resourceToken')", (string)compiled.Template.Module("function-app").Argument("name")!, StringComparison.Ordinal);
    }
}
