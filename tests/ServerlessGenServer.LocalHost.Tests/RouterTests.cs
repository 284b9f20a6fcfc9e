using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.LocalHost.Http;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Tests;

/// <summary>The route table the router builds from the build's functions.metadata (requests themselves: the end-to-end suite).</summary>
public sealed class RouterTests
{
    private static readonly HttpFunctionRouter Router = HttpFunctionRouter.Create(
        FunctionsMetadataFile.Load(LocalHostOptions.DefaultFunctionsOutput),
        Assembly.Load("ServerlessGenServer.Functions"), "api", NullLogger.Instance);

    private static readonly HttpFunctionRouter Items = HttpFunctionRouter.Create(FunctionsMetadataFile.Parse("""
        [{"name":"Item","scriptFile":"ServerlessGenServer.LocalHost.Tests.dll","entryPoint":"ServerlessGenServer.LocalHost.Tests.ItemFunctions.Item",
          "bindings":[{"name":"request","type":"httpTrigger","methods":["get"],"route":"items/{id}"}]},
         {"name":"Special","scriptFile":"ServerlessGenServer.LocalHost.Tests.dll","entryPoint":"ServerlessGenServer.LocalHost.Tests.ItemFunctions.Special",
          "bindings":[{"name":"request","type":"httpTrigger","methods":["get"],"route":"items/special"}]}]
        """), typeof(RouterTests).Assembly, "api", NullLogger.Instance);

    [Theory]
    [InlineData("GET", "/api/items/special", 200, "special")]
    [InlineData("GET", "/api/items/7", 200, "item 7")]
    [InlineData("PUT", "/api/items/7", 405, "method-not-allowed")]
    [InlineData("GET", "/api/items", 404, "not-found")]
    [InlineData("GET", "/items/7", 404, "not-found")]
    public async Task HandleAsync_Request_LiteralBeforeParameterAndProblemsOtherwise(string method, string path, int status, string contains)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider(),
            Request = { Method = method, Path = path },
            Response = { Body = new MemoryStream() },
        };

        await Items.HandleAsync(context, client: null!);

        Assert.Equal(status, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        Assert.Contains(contains, await new StreamReader(context.Response.Body).ReadToEndAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public void Routes_LiteralSegmentsBeforeParametersOfTheSameDepth()
    {
        Assert.Equal(["api/items/special", "api/items/{id}"], Items.Routes.Select(r => r.Template));
    }

    [Fact]
    public void Routes_AuthLevels_AsDeclared()
    {
        Assert.Equal("Anonymous", Router.Routes.Single(r => r.Template == "api/health").AuthLevel);
        // The operator surface (state reads, lists, deletes) is Admin; what clients reach is Function.
        var operatorRoutes = Router.Routes.Where(r => r.Template is "api/servers/{server}" or "api/servers/{server}/{key}").ToList();
        Assert.Equal(3, operatorRoutes.Count);
        Assert.All(operatorRoutes, r => Assert.Equal("Admin", r.AuthLevel));
        Assert.All(Router.Routes.Except(operatorRoutes).Where(r => r.Template != "api/health"), r => Assert.Equal("Function", r.AuthLevel));
    }

    [Fact]
    public void Create_ParameterTheHostCannotBind_FailsAtStartNotOnARequest()
    {
        var function = FunctionsMetadataFile.Parse("""
            [{"name":"Odd","scriptFile":"ServerlessGenServer.LocalHost.Tests.dll","entryPoint":"ServerlessGenServer.LocalHost.Tests.OddFunction.Run",
              "bindings":[{"name":"request","type":"httpTrigger","methods":["get"],"route":"odd"}]}]
            """);

        var error = Assert.Throws<InvalidOperationException>(() =>
            HttpFunctionRouter.Create(function, typeof(RouterTests).Assembly, "api", NullLogger.Instance));

        Assert.Contains("'count'", error.Message, StringComparison.Ordinal);
    }
}

public static class ItemFunctions
{
    public static IResult Item(HttpRequest request, string id) => Results.Text($"item {id}");

    public static IResult Special(HttpRequest request) => Results.Text("special");
}

public static class OddFunction
{
    public static Task<IResult> Run(HttpRequest request, int count) => Task.FromResult(Results.Ok(count));
}
