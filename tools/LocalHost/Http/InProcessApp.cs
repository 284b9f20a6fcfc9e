using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Http;

/// <summary>What the router wrote for one in-process request: status, headers and the body's bytes.</summary>
public sealed record InProcessResponse(int Status, IHeaderDictionary Headers, byte[] Body)
{
    public string? ContentType => Headers.ContentType.ToString() is { Length: > 0 } type ? type : null;

    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>
/// The app's HTTP functions without a socket: the same <see cref="HttpFunctionRouter"/> the local host serves with
/// Kestrel (routes from the build's functions.metadata, the error contract, the function classes from DI built by
/// <see cref="FunctionsAppServices.AddFunctionsApp"/>), handed a <see cref="DefaultHttpContext"/>. The engine tests and
/// tools/ApiExamples send their requests through it.
/// </summary>
public sealed class InProcessApp
{
    private static readonly Lazy<HttpFunctionRouter> AppRouter = new(() => LoadRouter(LocalHostOptions.DefaultFunctionsOutput));
    private readonly IServiceProvider _services;
    private readonly DurableTaskClient _client;

    /// <param name="registry">The GenServers the function classes know (an engine host's registry, test servers included).</param>
    /// <param name="client">The client the functions are given (an engine host's).</param>
    /// <param name="configuration">App settings the function classes bind their options from, over the defaults with the operator API on.</param>
    /// <param name="configure">Changes to the app's services, applied after they are registered (a test's own client, options).</param>
    public InProcessApp(
        GenServerRegistry registry, DurableTaskClient client, IConfiguration? configuration = null, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _client = client ?? throw new ArgumentNullException(nameof(client));
        var services = new ServiceCollection();
        services.AddSingleton(registry); // before AddFunctionsApp, whose default registry is added only when none is
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        // The operator routes (state, list, delete) on, as local.settings.json turns them on for func start.
        var settings = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("OperatorApi:Enabled", (string?)"true")]);
        if (configuration is not null)
        {
            settings.AddConfiguration(configuration);
        }

        services.AddFunctionsApp(settings.Build());
        configure?.Invoke(services);
        _services = services.BuildServiceProvider();
    }

    /// <summary>The router over src/Functions' build output (functions.metadata, host.json), read once per process.</summary>
    public static HttpFunctionRouter Router => AppRouter.Value;

    /// <summary>Sends one request, as a client would over HTTP, and returns what the function (or the router) answered.</summary>
    /// <param name="pathAndQuery">
    /// The request target as a client sends it, e.g. <c>/api/servers/counter/k1/call/value?timeoutMs=1</c>; escape a key's
    /// <c>?</c>, <c>#</c> and <c>%</c> with <see cref="Uri.EscapeDataString(string)"/>. The path is decoded as Kestrel decodes
    /// it: everything but <c>%2F</c>, so a <c>/</c> inside a route parameter cannot be sent, as over a socket.
    /// </param>
    /// <param name="body">A JSON body (sent as application/json), or null for none.</param>
    /// <param name="headers">Request headers besides Content-Type.</param>
    public async Task<InProcessResponse> SendAsync(
        string method, string pathAndQuery, string? body = null, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        var q = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var context = new DefaultHttpContext { RequestServices = _services };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost", LocalHostOptions.DefaultPort);
        request.Path = new PathString(DecodePath(q >= 0 ? pathAndQuery[..q] : pathAndQuery));
        request.QueryString = q >= 0 && q < pathAndQuery.Length - 1 ? new QueryString(pathAndQuery[q..]) : QueryString.Empty;
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers[name] = value;
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }

        using var responseBody = new MemoryStream();
        context.Response.Body = responseBody;
        await Router.HandleAsync(context, _client);
        return new InProcessResponse(context.Response.StatusCode, context.Response.Headers, responseBody.ToArray());
    }

    private static string DecodePath(string path) => string.Join("%2F",
        path.Split("%2F", StringSplitOptions.None).Select(p => string.Join("%2f", p.Split("%2f").Select(Uri.UnescapeDataString))));

    /// <summary>The router of the Functions app built into <paramref name="functionsOutput"/>, as the local host makes it.</summary>
    public static HttpFunctionRouter LoadRouter(string functionsOutput)
    {
        var functions = FunctionsMetadataFile.Load(functionsOutput);
        var app = Assembly.Load(new AssemblyName(Path.GetFileNameWithoutExtension(functions[0].ScriptFile)));
        return HttpFunctionRouter.Create(functions, app, HostJson.Load(functionsOutput).RoutePrefix, NullLogger<HttpFunctionRouter>.Instance);
    }
}
