using System.Text.Json.Nodes;

namespace ServerlessGenServer.Infra.Tests.Bicep;

/// <summary>
/// Builds and lints infra/bicep/main.bicep once for all tests of a class: `bicep build` writes the
/// ARM JSON into a temp folder (deleted straight away), `bicep lint` checks the linter rules of
/// bicepconfig.json. The tests read the results.
/// </summary>
public sealed class CompiledTemplateFixture : IAsyncLifetime
{
    public BicepRun Build { get; private set; } = null!;

    public BicepRun Lint { get; private set; } = null!;

    /// <summary>The compiled template's text, exactly as bicep wrote it.</summary>
    public string Json { get; private set; } = "";

    public ArmTemplate Template { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var main = Path.Combine(BicepCli.TemplateFolder, "main.bicep");
        using (var output = new TempFolder())
        {
            Build = await BicepCli.RunAsync("build", main, "--outdir", output.Path);
            var compiled = Path.Combine(output.Path, "main.json");
            Json = File.Exists(compiled) ? await File.ReadAllTextAsync(compiled) : "";
        }

        Lint = await BicepCli.RunAsync("lint", main);
        Template = Json.Length == 0
            ? new ArmTemplate(new JsonObject())
            : new ArmTemplate(JsonNode.Parse(Json)!.AsObject());
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
