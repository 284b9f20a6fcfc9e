namespace ServerlessGenServer.Infra.Tests.Bicep;

/// <summary>Shares one build + lint of the template between every test class that reads it.</summary>
[CollectionDefinition(Name)]
public sealed class SharedCompiledTemplate : ICollectionFixture<CompiledTemplateFixture>
{
    public const string Name = "Compiled template";
}
