using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;

namespace ServerlessGenServer.ApiExamples;

/// <summary>A request and the response the function wrote: status, headers and body as a caller would get them.</summary>
public sealed record Exchange(
    string Method, string PathAndQuery, string? RequestBody, string? IdempotencyKey, int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body);

/// <summary>
/// Sends requests to the app's real HTTP function classes, constructed as the Functions host does, with a real client.
/// It routes the same templates the functions declare, builds a <see cref="DefaultHttpContext"/>, and executes the
/// returned <see cref="IActionResult"/> into the response.
/// </summary>
public sealed class ApiRouter(GenServerRegistry registry, DurableTaskClient client, IOptions<RateLimiterOptions> rateLimiter)
{
    private static readonly GenServerClient GenServers = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);
    private readonly ServersApi _servers = new(registry, GenServers, NullLogger<ServersApi>.Instance);
    private readonly CallsApi _calls = new(GenServers);
    private readonly HealthApi _health = new(NullLogger<HealthApi>.Instance);
    private readonly RateLimitApi _rateLimit = new(GenServers, rateLimiter);

    public async Task<Exchange> SendAsync(string method, string pathAndQuery, string? body = null, string? idempotencyKey = null)
    {
        var (path, query) = pathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0
            ? (pathAndQuery[..q], pathAndQuery[q..])
            : (pathAndQuery, "");
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost", 7071);
        request.Path = path;
        request.QueryString = new QueryString(query.Length > 0 ? query : null);
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }

        if (idempotencyKey is not null)
        {
            request.Headers[IdempotencyKeyHeader.Name] = idempotencyKey;
        }

        using var responseBody = new MemoryStream();
        context.Response.Body = responseBody;
        var result = await Route(method, path.Split('/', StringSplitOptions.RemoveEmptyEntries), request);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        var headers = context.Response.Headers
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()))
            .OrderBy(h => h.Key == "Content-Type" ? 0 : 1).ThenBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new Exchange(method, pathAndQuery, body, idempotencyKey, context.Response.StatusCode, headers, Encoding.UTF8.GetString(responseBody.ToArray()));
    }

    // The routes of ServersApi, CallsApi, HealthApi and RateLimitApi ("api" is the host's route prefix).
    private Task<IActionResult> Route(string method, string[] s, HttpRequest r) => (method, s) switch
    {
        ("GET", ["api", "health"]) => _health.Get(r, client),
        ("POST", ["api", "servers", var server, var key, "call", var op]) => _servers.Call(r, client, server, key, op),
        ("POST", ["api", "servers", var server, var key, "cast", var op]) => _servers.Cast(r, client, server, key, op),
        ("GET", ["api", "servers", var server, var key]) => _servers.Get(r, client, server, key),
        ("DELETE", ["api", "servers", var server, var key]) => _servers.Delete(r, client, server, key),
        ("GET", ["api", "servers", var server]) => _servers.List(r, client, server),
        ("GET", ["api", "calls", var id]) => _calls.Get(r, client, id),
        ("POST", ["api", "ratelimit", var key]) => _rateLimit.Check(r, client, Uri.UnescapeDataString(key)),
        _ => throw new ArgumentException($"No function serves {method} /{string.Join('/', s)}."),
    };
}
