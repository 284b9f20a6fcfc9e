using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.LocalHost.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>What an HTTP function answered: status, content type, JSON body and headers.</summary>
public sealed record HttpAnswer(int Status, string? ContentType, JsonElement Body, IHeaderDictionary Headers)
{
    public override string ToString() => $"{Status} {ContentType} {Body}";
}

/// <summary>
/// The app's HTTP API for the engine tests: each method sends one request through the local host's router
/// (<see cref="InProcessApp"/>: routes from functions.metadata, the real function classes from the app's DI, the error
/// contract), with a real client, and reads back what a caller would get.
/// </summary>
/// <remarks>
/// With <c>services</c> (the app's services, as the Functions host gives the client) [ReadOnly] calls are answered from
/// the saved state, as in the app; without them every call goes through the entity, so a cast followed by a call sees
/// the cast, which most engine tests rely on.
/// </remarks>
public sealed class GenServerHttp
{
    private readonly InProcessApp _app;

    public GenServerHttp(GenServerRegistry registry, DurableTaskClient client, IServiceProvider? services = null) =>
        _app = new InProcessApp(registry, client, configure: s => UseClient(s, services));

    /// <summary>Over <paramref name="host"/>'s registry, client and configuration, so the API binds the options its GenServers do.</summary>
    /// <param name="configure">Replaces the app's services after they are registered (e.g. a worker's in-memory rate-limit options).</param>
    public GenServerHttp(EngineHost host, IServiceProvider? services = null, Action<IServiceCollection>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        _app = new InProcessApp(host.Registry, host.Client, host.Options.Configuration, s =>
        {
            UseClient(s, services);
            configure?.Invoke(s);
        });
    }

    private static void UseClient(IServiceCollection app, IServiceProvider? services) =>
        app.AddSingleton(provider => new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance,
            provider.GetService<IOptions<IdempotencyOptions>>(), provider.GetService<IOptions<CallOptions>>(), services));

    /// <summary>POST .../call/{operation}, with an <c>Idempotency-Key</c> header when <paramref name="idempotencyKey"/> is set.</summary>
    public Task<HttpAnswer> CallAsync(
        string server, string key, string operation, string? body = null, string? query = null, string? idempotencyKey = null) =>
        SendAsync("POST", $"/api/servers/{server}/{key}/call/{operation}{query}", body, idempotencyKey);

    /// <summary>POST .../cast/{operation}, with an <c>Idempotency-Key</c> header when <paramref name="idempotencyKey"/> is set.</summary>
    public Task<HttpAnswer> CastAsync(string server, string key, string operation, string? body = null, string? idempotencyKey = null) =>
        SendAsync("POST", $"/api/servers/{server}/{key}/cast/{operation}", body, idempotencyKey);

    public Task<HttpAnswer> GetAsync(string server, string key) => SendAsync("GET", $"/api/servers/{server}/{key}");

    public Task<HttpAnswer> DeleteAsync(string server, string key) => SendAsync("DELETE", $"/api/servers/{server}/{key}");

    public Task<HttpAnswer> ListAsync(string server, string? query = null) => SendAsync("GET", $"/api/servers/{server}{query}");

    public Task<HttpAnswer> GetCallAsync(string instanceId) => SendAsync("GET", $"/api/calls/{instanceId}");

    public Task<HttpAnswer> HealthAsync() => SendAsync("GET", "/api/health");

    /// <summary>The state a GET returns, or null while it answers 404.</summary>
    public async Task<JsonElement?> StateAsync(string server, string key)
    {
        var answer = await GetAsync(server, key);
        return answer.Status == StatusCodes.Status200OK ? answer.Body.GetProperty("state") : null;
    }

    /// <summary>
    /// Sends any request the app serves (<paramref name="pathAndQuery"/> as the server sees it once decoded), with an
    /// <c>Idempotency-Key</c> header when <paramref name="idempotencyKey"/> is set, and reads the JSON answer.
    /// </summary>
    public async Task<HttpAnswer> SendAsync(string method, string pathAndQuery, string? body = null, string? idempotencyKey = null)
    {
        var headers = idempotencyKey is null ? null : new[] { KeyValuePair.Create(IdempotencyKeyHeader.Name, idempotencyKey) };
        var response = await _app.SendAsync(method, pathAndQuery, body, headers);
        if (response.Body.Length == 0)
        {
            return new HttpAnswer(response.Status, response.ContentType, default, response.Headers);
        }

        using var json = JsonDocument.Parse(response.Body);
        return new HttpAnswer(response.Status, response.ContentType, json.RootElement.Clone(), response.Headers);
    }
}
