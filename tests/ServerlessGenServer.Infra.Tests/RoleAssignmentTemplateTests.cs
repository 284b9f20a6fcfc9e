using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

[Collection(SharedCompiledTemplate.Name)]
public sealed partial class RoleAssignmentTemplateTests(CompiledTemplateFixture compiled)
{
    private const string StorageScope = "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]";
    private const string ApplicationInsightsScope = "[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]";

    // Built-in role ids, checked against Azure's published list of built-in roles.
    [Theory]
    [InlineData("app-roles", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", StorageScope)] // Storage Blob Data Owner
    [InlineData("app-roles", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", StorageScope)] // Storage Queue Data Contributor
    [InlineData("app-roles", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", StorageScope)] // Storage Table Data Contributor
    [InlineData("app-roles", "3913510d-42f4-4e42-8a64-420c390055eb", ApplicationInsightsScope)] // Monitoring Metrics Publisher
    [InlineData("deployer-roles", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", StorageScope)]
    [InlineData("deployer-roles", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", StorageScope)]
    [InlineData("deployer-roles", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", StorageScope)]
    [InlineData("deployer-roles", "3913510d-42f4-4e42-8a64-420c390055eb", ApplicationInsightsScope)]
    public void RoleAssignment_Compiled_GrantsRoleOnItsScope(string module, string roleId, string scope)
    {
        var template = compiled.Template.Module(module).Template;

        var assignment = Assert.Single(Assignments(template), a => RoleId(template, a) == roleId);

        Assert.Equal(scope, (string?)assignment["scope"]);
        Assert.Equal("[parameters('principalId')]", (string?)assignment["properties"]!["principalId"]);
        Assert.Equal("[parameters('principalType')]", (string?)assignment["properties"]!["principalType"]);
        Assert.Contains("parameters('principalId')", (string)assignment["name"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("app-roles")]
    [InlineData("deployer-roles")]
    public void RoleAssignments_Compiled_AreExactlyTheFourDataRoles(string module)
    {
        var template = compiled.Template.Module(module).Template;

        var roleIds = Assignments(template).Select(a => RoleId(template, a)).Order(StringComparer.Ordinal);

        Assert.Equal(
            ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "3913510d-42f4-4e42-8a64-420c390055eb", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"],
            roleIds);
    }

    [Fact]
    public void AppRoles_Compiled_GoToTheAppIdentityAsServicePrincipal()
    {
        var module = compiled.Template.Module("app-roles");

        Assert.Null(module.Condition);
        Assert.Equal("ServicePrincipal", (string?)module.Argument("principalType"));
        Assert.Contains("'identity'), '2025-04-01').outputs.principalId.value", (string)module.Argument("principalId")!, StringComparison.Ordinal);
        Assert.Equal("[variables('storageAccountName')]", (string?)module.Argument("storageAccountName"));
        Assert.Equal("[variables('applicationInsightsName')]", (string?)module.Argument("applicationInsightsName"));
    }

    [Fact]
    public void AppRoles_Compiled_AreGrantedBeforeTheFunctionAppStarts()
    {
        var dependsOn = compiled.Template.Module("function-app").DependsOn;

        Assert.Contains(dependsOn, d => d.EndsWith("'Microsoft.Resources/deployments', 'app-roles')]", StringComparison.Ordinal));
    }

    [Fact]
    public void DeployerRoles_Compiled_ApplyOnlyWhenAskedForAndPrincipalIdIsGiven()
    {
        var module = compiled.Template.Module("deployer-roles");

        Assert.Equal("[and(parameters('grantDeployerDataRoles'), not(empty(parameters('principalId'))))]", module.Condition);
        Assert.False((bool)compiled.Template.Parameters["grantDeployerDataRoles"]!["defaultValue"]!);
        Assert.Equal("[parameters('principalId')]", (string?)module.Argument("principalId"));
        Assert.Equal("[parameters('principalType')]", (string?)module.Argument("principalType"));
        Assert.Equal("", compiled.Template.Parameters["principalId"]!["defaultValue"]!.ToString());
    }

    private static IEnumerable<JsonObject> Assignments(ArmTemplate template) =>
        template.ResourcesOfType("Microsoft.Authorization/roleAssignments");

    // "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('x'))]" -> the role id.
    private static string RoleId(ArmTemplate template, JsonObject assignment)
    {
        var expression = template.ResolveStringVariables((string)assignment["properties"]!["roleDefinitionId"]!);
        var match = RoleDefinition().Match(expression);
        Assert.True(match.Success, $"Role definition '{expression}' is not a built-in role id at subscription scope.");
        return match.Groups["id"].Value;
    }

    [GeneratedRegex(@"^\[subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', '(?<id>[0-9a-f-]{36})'\)\]$")]
    private static partial Regex RoleDefinition();
}
