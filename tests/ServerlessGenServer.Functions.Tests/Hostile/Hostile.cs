using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// The hostile-input suite's tools: the app's real HTTP function classes over strict client mocks, requests built
/// byte by byte, and the one assertion every case makes.
/// </summary>
internal sealed class Hostile
{
    public Clients Clients { get; } = new();

    public ServersApi Servers { get; } = new(GenServerRegistry.Default, NewGenServerClient(), NullLogger<ServersApi>.Instance);

    public CallsApi Calls { get; } = new(NewGenServerClient());

    /// <summary>The rate-limit check under the default options (Capacity 10).</summary>
    public RateLimitApi RateLimit { get; } = new(NewGenServerClient(), Options.Create(new RateLimiterOptions()));

    /// <summary>A request whose body is exactly <paramref name="body"/>; no Content-Length when <paramref name="chunked"/>.</summary>
    public static HttpRequest RawRequest(byte[]? body, string? contentType = "application/json", string query = "", bool chunked = false)
    {
        var request = HttpTest.Request(query: query);
        if (body is not null)
        {
            request.Body = new MemoryStream(body);
            request.ContentLength = chunked ? null : body.Length;
            request.ContentType = contentType;
        }

        return request;
    }

    public static HttpRequest Request(string? body, string? contentType = "application/json", string query = "") =>
        RawRequest(body is null ? null : Encoding.UTF8.GetBytes(body), contentType, query);

    /// <summary>
    /// The answer is the expected 4xx as RFC 9457 problem+json, and nothing reached the Durable client: with strict
    /// mocks an unplanned call would have thrown, and the only member read is the Entities getter set up in advance.
    /// </summary>
    public System.Text.Json.JsonElement AssertRefused(HttpAnswer answer, int status)
    {
        ArgumentNullException.ThrowIfNull(answer);
        Assert.InRange(status, 400, 499);
        var problem = answer.Problem(status);
        AssertNoClientCall();
        return problem;
    }

    public void AssertNoClientCall()
    {
        Assert.Empty(Clients.Entities.Invocations);
        Assert.DoesNotContain(Clients.Client.Invocations, i => i.Method.Name != "get_Entities");
    }

    private static GenServerClient NewGenServerClient() => new(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance);
}
