using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.Engine.Tests.RateLimiting;

/// <summary>
/// Drives the app's real <see cref="RateLimitApi"/> (constructed as the Functions host would, with the host's own
/// validated <see cref="RateLimiterOptions"/>, so the HTTP side and the entities agree) against an engine host.
/// </summary>
/// <remarks>With <paramref name="local"/> it is a worker with its own in-memory path; several such drivers are several workers.</remarks>
public sealed class RateLimitHttp(EngineHost host, LocalRateLimitOptions? local = null)
{
    private static readonly GenServerClient GenServers = new(TimeProvider.System, NullLogger<GenServerClient>.Instance);

    private readonly RateLimitApi _api = new(
        GenServers,
        host.Services.GetRequiredService<IOptions<RateLimiterOptions>>(),
        local is null ? null : new LocalRateLimiter(TimeProvider.System,
            host.Services.GetRequiredService<IOptions<RateLimiterOptions>>(), Options.Create(local), GenServers));

    public Task<HttpAnswer> CheckAsync(string key, string query = "") =>
        GenServerHttp.SendAsync("POST", $"/api/ratelimit/{Uri.EscapeDataString(key)}", body: null, query,
            r => _api.Check(r, host.Client, key));
}
