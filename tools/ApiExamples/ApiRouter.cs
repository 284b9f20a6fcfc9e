using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.LocalHost.Http;

namespace ServerlessGenServer.ApiExamples;

/// <summary>A request and the response the function wrote: status, headers and body as a caller would get them.</summary>
public sealed record Exchange(
    string Method, string PathAndQuery, string? RequestBody, string? IdempotencyKey, int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body);

/// <summary>
/// Sends the script's requests through the local host's router (<see cref="InProcessApp"/>: routes from
/// functions.metadata, the app's function classes from its DI, the error contract) and records each exchange.
/// </summary>
public sealed class ApiRouter(GenServerRegistry registry, DurableTaskClient client, IConfiguration? configuration)
{
    private readonly InProcessApp _app = new(registry, client, configuration);

    public async Task<Exchange> SendAsync(string method, string pathAndQuery, string? body = null, string? idempotencyKey = null)
    {
        var headers = idempotencyKey is null ? null : new[] { KeyValuePair.Create(IdempotencyKeyHeader.Name, idempotencyKey) };
        var response = await _app.SendAsync(method, pathAndQuery, body, headers);
        var shown = response.Headers
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()))
            .OrderBy(h => h.Key == "Content-Type" ? 0 : 1).ThenBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new Exchange(method, pathAndQuery, body, idempotencyKey, response.Status, shown, response.Text);
    }
}
