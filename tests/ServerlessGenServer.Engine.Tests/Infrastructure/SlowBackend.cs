using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>
/// A slow external service on loopback (Kestrel, a free port): every GET waits <see cref="Delay"/>, then answers
/// <c>value-of-{path}</c>, or <see cref="FailWith"/> when set. Counts the requests per path.
/// </summary>
/// <remarks>A class fixture: one backend per test class, whose tests use distinct paths.</remarks>
public sealed class SlowBackend : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>When set, every request answers this status after the delay.</summary>
    public int? FailWith { get; set; }

    public Uri BaseUrl { get; private set; } = null!;

    public int RequestsFor(string path) => _requests.TryGetValue(path, out var n) ? n : 0;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = _app = builder.Build();
        var backend = this;
        app.MapGet("/{**path}", async (string path, HttpContext context) =>
        {
            backend._requests.AddOrUpdate(path, 1, (_, n) => n + 1);
            await Task.Delay(backend.Delay, context.RequestAborted);
            return backend.FailWith is { } status ? Results.StatusCode(status) : Results.Text($"value-of-{path}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
