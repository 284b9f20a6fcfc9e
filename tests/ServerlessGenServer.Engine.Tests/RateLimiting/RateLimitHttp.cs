using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Http;

namespace ServerlessGenServer.Engine.Tests.RateLimiting;

/// <summary>
/// POST /api/ratelimit/{key} through the app's router against an engine host, with the host's configuration, so
/// <see cref="RateLimitApi"/> and the shards bind the same <see cref="RateLimiterOptions"/>.
/// </summary>
public sealed class RateLimitHttp(EngineHost host)
{
    private readonly GenServerHttp _http = new(host);

    public Task<HttpAnswer> CheckAsync(string key, string query = "") => _http.SendAsync("POST", $"/api/ratelimit/{key}{query}");
}
