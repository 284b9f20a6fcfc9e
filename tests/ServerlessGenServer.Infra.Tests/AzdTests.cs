using System.Text.Json.Nodes;
using ServerlessGenServer.Infra.Tests.Bicep;

namespace ServerlessGenServer.Infra.Tests;

[Collection(SharedCompiledTemplate.Name)]
public sealed class AzdTests(CompiledTemplateFixture compiled)
{
    private static readonly string AzureYaml = File.ReadAllText(Path.Combine(BicepCli.RepositoryRoot, "azure.yaml"));

    [Fact]
    public void ParametersFile_EveryParameter_ExistsInTheTemplate()
    {
        var file = ReadParametersFile();

        Assert.All(file, p => Assert.True(compiled.Template.Parameters.ContainsKey(p.Key), $"main.parameters.json sets unknown parameter {p.Key}."));
    }

    [Fact]
    public void ParametersFile_EveryRequiredParameter_IsSet()
    {
        var file = ReadParametersFile();

        var required = compiled.Template.Parameters.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key).ToList();

        Assert.Equal(["environmentName", "location"], required);
        Assert.All(required, name => Assert.True(file.ContainsKey(name), $"main.parameters.json does not set required parameter {name}."));
    }

    [Theory]
    [InlineData("environmentName", "${AZURE_ENV_NAME}")]
    [InlineData("location", "${AZURE_LOCATION}")]
    [InlineData("principalId", "${AZURE_PRINCIPAL_ID}")]
    public void ParametersFile_AzdParameters_ComeFromTheAzdEnvironment(string name, string value)
    {
        Assert.Equal(value, (string?)ReadParametersFile()[name]!["value"]);
    }

    [Theory]
    [InlineData("name: serverless-genserver")]
    [InlineData("  provider: bicep")]
    [InlineData("  path: infra/bicep")]
    [InlineData("  api:")]
    [InlineData("    project: ./src/Functions")]
    [InlineData("    language: dotnet")]
    [InlineData("    host: function")]
    public void AzureYaml_Root_DeclaresInfraAndTheApiService(string line)
    {
        Assert.Contains(line, AzureYaml.ReplaceLineEndings("\n").Split('\n'));
    }

    [Fact]
    public void AzureYaml_ApiProject_IsTheFunctionsApp()
    {
        var project = Path.Combine(BicepCli.RepositoryRoot, "src", "Functions", "ServerlessGenServer.Functions.csproj");

        Assert.True(File.Exists(project), $"azure.yaml points the api service at src/Functions, but {project} does not exist.");
        Assert.True(File.Exists(Path.Combine(BicepCli.TemplateFolder, "main.bicep")));
    }

    private static JsonObject ReadParametersFile() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.TemplateFolder, "main.parameters.json")))!["parameters"]!.AsObject();
}
