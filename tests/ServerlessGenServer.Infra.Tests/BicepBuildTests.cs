using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

[Collection(SharedCompiledTemplate.Name)]
public sealed class BicepBuildTests(CompiledTemplateFixture compiled)
{
    [Fact]
    public void Build_MainTemplate_SucceedsWithNoDiagnostics()
    {
        Assert.Equal("", compiled.Build.StandardError.Trim());
        Assert.Equal(0, compiled.Build.ExitCode);
        Assert.StartsWith("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json", (string?)compiled.Template.Root["$schema"]);
    }

    [Fact]
    public void Lint_MainTemplate_SucceedsWithNoDiagnostics()
    {
        Assert.Equal("", compiled.Lint.StandardError.Trim());
        Assert.Equal(0, compiled.Lint.ExitCode);
    }

    // The same build/lint check, on a copy of infra/bicep with one defect each, must fail: this proves
    // bicepconfig.json is in force and that a warning or error does not pass unnoticed.
    [Theory]
    [InlineData("@description('Never used.')\nparam unusedSetting string = 'x'\n", "no-unused-params")]
    [InlineData("var unusedName = 'x'\n", "no-unused-vars")]
    [InlineData("@description('Hard-coded cloud URL.')\noutput BLOB_HOST string = 'https://example.blob.core.windows.net/'\n", "no-hardcoded-env-urls")]
    [InlineData("resource oldGroup 'Microsoft.Resources/resourceGroups@2021-04-01' = {\n  name: 'rg-old'\n  location: location\n}\n", "use-recent-api-versions")]
    public async Task Lint_TemplateWithDefect_FailsNamingTheRule(string appended, string rule)
    {
        using var copy = new TempFolder();
        copy.CopyFrom(BicepCli.TemplateFolder);
        var main = Path.Combine(copy.Path, "main.bicep");
        await File.AppendAllTextAsync(main, "\n" + appended);

        var lint = await BicepCli.RunAsync("lint", main);

        Assert.NotEqual(0, lint.ExitCode);
        Assert.Contains(rule, lint.StandardError, StringComparison.Ordinal);
    }
}
