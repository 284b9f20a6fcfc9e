using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.Engine.Tests.RateLimiting;

/// <summary>
/// POST /api/ratelimit/{key} through the app's router against an engine host, with the host's configuration, so
/// <see cref="RateLimitApi"/> and the shards bind the same <see cref="RateLimiterOptions"/>.
/// </summary>
/// <remarks>With <paramref name="local"/> it is a worker with its own in-memory path; several such drivers are several workers.</remarks>
public sealed class RateLimitHttp(EngineHost host, LocalRateLimitOptions? local = null)
{
    // Without local options the API checks every request on the shard (the exact path); with them, this driver's own
    // in-memory path (its own DI, so its own LocalRateLimiter) admits from grants as a worker does.
    private readonly GenServerHttp _http = new(host, configure: s => s.AddSingleton(Options.Create(
        local ?? new LocalRateLimitOptions { DenialCache = false, Grants = false })));

    public Task<HttpAnswer> CheckAsync(string key, string query = "") => _http.SendAsync("POST", $"/api/ratelimit/{Uri.EscapeDataString(key)}{query}");
}
