using System.Diagnostics;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// Storage goes away (Azurite stopped): every route answers 503 problem+json with Retry-After and a correlation id,
/// never a bare 500 or a 4xx, and the app answers normally again once storage is back.
/// </summary>
[Collection(PrivateAzuriteTestGroup.Name)]
public sealed class StorageOutageEngineTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryRoute_AzuriteStopped_Answers503ProblemJsonThenRecovers()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await EngineHost.StartAsync(EngineFixture.NewOptions(azurite, "Outage"));
        var http = new GenServerHttp(host.Registry, host.Client);
        Assert.Equal(200, (await http.CallAsync("counter", "outage", "value")).Status);

        await azurite.StopAsync();
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(
            Timed("cast", () => http.CastAsync("counter", "outage", "increment")),
            Timed("call", () => http.CallAsync("counter", "outage", "value")),
            Timed("get", () => http.GetAsync("counter", "outage")),
            Timed("list", () => http.ListAsync("counter")),
            Timed("health", http.HealthAsync));
        output.WriteLine($"All five answered within {clock.Elapsed.TotalSeconds:0.0} s of the stop.");

        foreach (var (route, answer, elapsed) in answers)
        {
            output.WriteLine($"{route}: {answer.Status} after {elapsed.TotalSeconds:0.0} s");
            Assert.True(answer.Status == 503, $"{route} answered {answer}");
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.Equal("urn:serverless-genserver:problem:unavailable", answer.Body.GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(answer.Body.GetProperty("correlationId").GetString()));
            Assert.Equal("5", answer.Headers.RetryAfter.ToString());
        }

        await azurite.RestartAsync();
        var back = await Eventually.WaitForAsync(
            () => http.CallAsync("counter", "outage", "value"), a => a.Status == 200, "a call once storage is back", TimeSpan.FromMinutes(2));
        Assert.Equal(200, back.Status);
    }

    private static async Task<(string Route, HttpAnswer Answer, TimeSpan Elapsed)> Timed(string route, Func<Task<HttpAnswer>> send)
    {
        var clock = Stopwatch.StartNew();
        var answer = await send();
        return (route, answer, clock.Elapsed);
    }
}
