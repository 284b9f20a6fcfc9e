using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>What an HTTP function answered: status, content type, JSON body and headers.</summary>
public sealed record HttpAnswer(int Status, string? ContentType, JsonElement Body, IHeaderDictionary Headers)
{
    public override string ToString() => $"{Status} {ContentType} {Body}";
}

/// <summary>
/// Drives the app's real HTTP function classes (constructed as the Functions host would, with a real client) with a
/// DefaultHttpContext, and executes their IActionResult into the response to read what a caller would get.
/// </summary>
/// <param name="services">
/// The app's services, as the Functions host gives the client: with them [ReadOnly] calls are answered from the saved
/// state, as in the app; without them every call goes through the entity.
/// </param>
public sealed class GenServerHttp(GenServerRegistry registry, DurableTaskClient client, IServiceProvider? services = null)
{
    private static readonly GenServerClient EntityOnly = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);
    private readonly ServersApi _servers = new(registry, Client(services), NullLogger<ServersApi>.Instance);
    private readonly CallsApi _calls = new(Client(services));
    private readonly HealthApi _health = new(NullLogger<HealthApi>.Instance);
    private static readonly ErrorContract Contract = new(NullLogger<ErrorContract>.Instance);

    private static GenServerClient Client(IServiceProvider? services) => services is null
        ? EntityOnly
        : new(TimeProvider.System, NullLogger<GenServerClient>.Instance, services: services);

    /// <summary>POST .../call/{operation}, with an <c>Idempotency-Key</c> header when <paramref name="idempotencyKey"/> is set.</summary>
    public Task<HttpAnswer> CallAsync(
        string server, string key, string operation, string? body = null, string? query = null, string? idempotencyKey = null) =>
        SendAsync("POST", $"/api/servers/{server}/{key}/call/{operation}", body, query, r => _servers.Call(r, client, server, key, operation),
            idempotencyKey);

    /// <summary>POST .../cast/{operation}, with an <c>Idempotency-Key</c> header when <paramref name="idempotencyKey"/> is set.</summary>
    public Task<HttpAnswer> CastAsync(string server, string key, string operation, string? body = null, string? idempotencyKey = null) =>
        SendAsync("POST", $"/api/servers/{server}/{key}/cast/{operation}", body, null, r => _servers.Cast(r, client, server, key, operation),
            idempotencyKey);

    public Task<HttpAnswer> GetAsync(string server, string key) =>
        SendAsync("GET", $"/api/servers/{server}/{key}", null, null, r => _servers.Get(r, client, server, key));

    public Task<HttpAnswer> DeleteAsync(string server, string key) =>
        SendAsync("DELETE", $"/api/servers/{server}/{key}", null, null, r => _servers.Delete(r, client, server, key));

    public Task<HttpAnswer> ListAsync(string server, string? query = null) =>
        SendAsync("GET", $"/api/servers/{server}", null, query, r => _servers.List(r, client, server));

    public Task<HttpAnswer> GetCallAsync(string instanceId) =>
        SendAsync("GET", $"/api/calls/{instanceId}", null, null, r => _calls.Get(r, client, instanceId));

    public Task<HttpAnswer> HealthAsync() => SendAsync("GET", "/api/health", null, null, r => _health.Get(r, client));

    /// <summary>The state a GET returns, or null while it answers 404.</summary>
    public async Task<JsonElement?> StateAsync(string server, string key)
    {
        var answer = await GetAsync(server, key);
        return answer.Status == StatusCodes.Status200OK ? answer.Body.GetProperty("state") : null;
    }

    /// <summary>Sends one request to <paramref name="function"/> and reads back what it wrote.</summary>
    internal static async Task<HttpAnswer> SendAsync(
        string method, string path, string? body, string? query, Func<HttpRequest, Task<IActionResult>> function,
        string? idempotencyKey = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost", 7071);
        request.Path = path;
        if (query is not null)
        {
            request.QueryString = new QueryString(query);
        }

        if (idempotencyKey is not null)
        {
            request.Headers[IdempotencyKeyHeader.Name] = idempotencyKey;
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
        // As the Functions worker's middleware does: every non-2xx answer through the one error contract.
        IActionResult? result = null;
        Exception? failure = null;
        try
        {
            result = await function(request);
        }
#pragma warning disable CA1031 // The contract turns any exception into its answer, as in the app.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        result = Contract.Apply(result, failure, Guid.NewGuid().ToString());
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        if (responseBody.Length == 0)
        {
            return new HttpAnswer(context.Response.StatusCode, context.Response.ContentType, default, context.Response.Headers);
        }

        using var json = JsonDocument.Parse(responseBody.ToArray());
        return new HttpAnswer(context.Response.StatusCode, context.Response.ContentType, json.RootElement.Clone(), context.Response.Headers);
    }
}
