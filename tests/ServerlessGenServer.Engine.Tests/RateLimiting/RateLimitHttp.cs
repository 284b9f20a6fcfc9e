using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;

namespace ServerlessGenServer.Engine.Tests.RateLimiting;

/// <summary>
/// Drives the app's real <see cref="RateLimitApi"/> (constructed as the Functions host would, with the host's own
/// validated <see cref="RateLimiterOptions"/>, so the HTTP side and the entities agree) against an engine host.
/// </summary>
public sealed class RateLimitHttp(EngineHost host)
{
    private readonly RateLimitApi _api = new(
        new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance),
        host.Services.GetRequiredService<IOptions<RateLimiterOptions>>());

    public Task<HttpAnswer> CheckAsync(string key, string query = "") =>
        GenServerHttp.SendAsync("POST", $"/api/ratelimit/{Uri.EscapeDataString(key)}", body: null, query,
            r => _api.Check(r, host.Client, key));
}
