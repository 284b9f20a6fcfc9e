using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;

namespace ServerlessGenServer.Engine.Tests.RateLimiting;

/// <summary>What <c>POST /api/ratelimit/{key}</c> answered.</summary>
public sealed record RateLimitAnswer(int Status, string? ContentType, JsonElement Body, IHeaderDictionary Headers)
{
    public override string ToString() => $"{Status} {ContentType} {Body}";
}

/// <summary>
/// Drives the app's real <see cref="RateLimitApi"/> (constructed as the Functions host would, with the host's own
/// validated <see cref="RateLimiterOptions"/>, so the HTTP side and the entities agree) against an engine host.
/// </summary>
public sealed class RateLimitHttp(EngineHost host)
{
    private readonly RateLimitApi _api = new(
        new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance),
        host.Services.GetRequiredService<IOptions<RateLimiterOptions>>());

    public async Task<RateLimitAnswer> CheckAsync(string key, string query = "")
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "POST";
        request.Scheme = "http";
        request.Host = new HostString("localhost", 7071);
        request.Path = $"/api/ratelimit/{Uri.EscapeDataString(key)}";
        request.QueryString = new QueryString(query);
        using var body = new MemoryStream();
        context.Response.Body = body;

        var result = await _api.Check(request, host.Client, key);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        using var json = JsonDocument.Parse(body.ToArray());
        return new RateLimitAnswer(context.Response.StatusCode, context.Response.ContentType, json.RootElement.Clone(), context.Response.Headers);
    }
}
