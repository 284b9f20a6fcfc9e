using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Entities.Gateway;

/// <summary>The slow part of a gateway miss: one GET to the backend, run as a task outside the entity.</summary>
public sealed class FetchWork(IHttpClientFactory http, IOptions<GatewayOptions> options) : GenServerWork<string, string>
{
    protected override async Task<string> RunAsync(string input, CancellationToken cancellation)
    {
        var client = http.CreateClient(GatewayOptions.HttpClientName);
        using var response = await client.GetAsync(new Uri(input.TrimStart('/'), UriKind.Relative), cancellation);
        if (!response.IsSuccessStatusCode)
        {
            throw new BackendFailedException($"The backend answered {(int)response.StatusCode} for '{input}'.");
        }

        var body = await response.Content.ReadAsStringAsync(cancellation);
        var max = options.Value.MaxValueChars;
        return body.Length <= max
            ? body
            : throw new BackendFailedException($"The backend's answer for '{input}' has {body.Length} characters; the most kept is {max}.");
    }
}

/// <summary>The backend failed a fetch: the gateway's callers get a 502 with this message.</summary>
public sealed class BackendFailedException : GenServerException
{
    public BackendFailedException(string message)
        : base(message)
    {
    }
}
