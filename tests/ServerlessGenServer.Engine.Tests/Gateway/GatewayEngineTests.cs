using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Gateway;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Gateway;

/// <summary>
/// The gateway on the real engine, in front of a 200 ms backend on loopback: misses coalesce into one fetch that runs
/// as a task, the replies are deferred, and the server keeps answering cached paths meanwhile.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class GatewayEngineTests(EngineFixture engine, SlowBackend backend, ITestOutputHelper output) : IClassFixture<SlowBackend>
{
    private readonly SlowBackend _backend = backend;

    [Fact]
    public async Task Get_20ConcurrentCallersOnAColdPath_OneBackendRequestAndEveryCallerGetsTheValue()
    {
        var http = await StartAsync();
        // A warm path first, to measure calls that must not wait for the fetch.
        var warm = await http.CallAsync("gateway", "coalesce", "get", "\"warm\"", "?timeoutMs=30000");
        Assert.Equal(200, warm.Status);
        _backend.Delay = TimeSpan.FromMilliseconds(200);

        var cold = Enumerable.Range(0, 20).Select(_ => http.CallAsync("gateway", "coalesce", "get", "\"cold\"", "?timeoutMs=30000")).ToList();
        var warmLatencies = new List<double>();
        while (!cold.All(c => c.IsCompleted))
        {
            var started = Stopwatch.GetTimestamp();
            var hit = await http.CallAsync("gateway", "coalesce", "get", "\"warm\"", "?timeoutMs=30000");
            warmLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            Assert.Equal("value-of-warm", hit.Body.GetProperty("result").GetString());
        }

        var answers = await Task.WhenAll(cold);
        var stats = await http.CallAsync("gateway", "coalesce", "stats");
        output.WriteLine($"cached-path calls during the fetch: {warmLatencies.Count}, ms: {string.Join(", ", warmLatencies.Select(l => l.ToString("0", CultureInfo.InvariantCulture)))}");
        output.WriteLine($"stats: {stats.Body}");
        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.All(answers, a => Assert.Equal("value-of-cold", a.Body.GetProperty("result").GetString()));
        Assert.Equal(1, _backend.RequestsFor("cold"));
        Assert.Equal(1, _backend.RequestsFor("warm"));
        // Two fetches in all (warm, cold): the other cold callers joined the fetch in flight or found its cached value.
        Assert.Equal(2, stats.Body.GetProperty("result").GetProperty("fetchesStarted").GetInt64());
        // Cached paths were answered, correctly, while the fetch ran. Their latency is printed, not asserted: on this
        // shared 2-core machine one call through the engine took 50-2,500 ms, so a fixed bound did not separate "did
        // not wait for the fetch" from contention (the benchmark the issue asks for is not written yet).
        Assert.NotEmpty(warmLatencies);
    }

    [Fact]
    public async Task Get_BackendFails_EveryWaitingCallerGetsTheSame502AndTheNextGetFetchesAgain()
    {
        var http = await StartAsync();
        _backend.FailWith = 503;

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => http.CallAsync("gateway", "failing", "get", "\"down\"", "?timeoutMs=30000")));
        var requestsAfterFailure = _backend.RequestsFor("down");
        _backend.FailWith = null;
        var retried = await http.CallAsync("gateway", "failing", "get", "\"down\"", "?timeoutMs=30000");

        output.WriteLine($"{answers[0]}; backend requests: {requestsAfterFailure} (2 attempts), then {_backend.RequestsFor("down")}");
        Assert.All(answers, a => Assert.Equal(502, a.Status));
        Assert.All(answers, a => Assert.Equal("application/problem+json", a.ContentType));
        Assert.All(answers, a => Assert.Equal(answers[0].Body.GetProperty("detail").GetString(), a.Body.GetProperty("detail").GetString()));
        Assert.Contains("503", answers[0].Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, requestsAfterFailure); // one fetch for all five callers, run twice by the retry policy
        Assert.Equal(200, retried.Status);
        Assert.Equal("value-of-down", retried.Body.GetProperty("result").GetString());
        Assert.Equal(3, _backend.RequestsFor("down"));
    }

    [Fact]
    public async Task Get_CallerTimeoutShorterThanTheFetch_GoesPendingAndTheStatusUrlGetsTheValue()
    {
        var http = await StartAsync();
        _backend.Delay = TimeSpan.FromSeconds(3);

        var answer = await http.CallAsync("gateway", "pending", "get", "\"slow\"", "?timeoutMs=500");
        Assert.Equal(202, answer.Status);
        var callId = answer.Body.GetProperty("instanceId").GetString()!;
        var done = await Eventually.WaitForAsync(() => http.GetCallAsync(callId), a => a.Status != 202, "the pending call's reply");

        output.WriteLine($"{answer} then {done}");
        Assert.Equal($"/api/calls/{callId}", answer.Headers.Location.ToString());
        Assert.Equal(200, done.Status);
        Assert.Equal("value-of-slow", done.Body.GetProperty("result").GetString());
        Assert.Equal(1, _backend.RequestsFor("slow"));
    }

    private async Task<GenServerHttp> StartAsync()
    {
        var host = await engine.HostForAsync(this, options => options with { Configuration = Configuration(_backend.BaseUrl) });
        (_backend.Delay, _backend.FailWith) = (TimeSpan.FromMilliseconds(200), null);
        return new GenServerHttp(host.Registry, host.Client);
    }

    internal static IConfiguration Configuration(Uri backend) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{GatewayOptions.SectionName}:{nameof(GatewayOptions.BackendUrl)}"] = backend.ToString(),
        })
        .Build();
}
