using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.RateLimiting;

/// <summary>
/// The rate limiter end to end: <c>POST /api/ratelimit/{key}</c> through the call orchestration to the key's shard on
/// the real engine, with the options set through configuration as an app setting would set them.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class RateLimitEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    /// <summary>Every check may wait this long for its reply, so a slow machine gives a 429 or 200, never a 504.</summary>
    private const string Query = "?timeoutMs=60000";

    [Fact]
    public async Task Check_HundredChecksOnOneKeyWithoutRefill_AdmitsExactlyTen()
    {
        await using var host = await StartAsync("RateLimitFixed", refillPerSecond: 0);
        var http = new RateLimitHttp(host);
        var answers = new ConcurrentBag<HttpAnswer>();
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 10 },
            async (_, _) => answers.Add(await http.CheckAsync("user-42", Query)));

        output.WriteLine($"100 checks (10 at a time) on one key: {clock.Elapsed.TotalSeconds:0.0} s, " +
            $"{answers.Count(a => a.Status == 200)} admitted, {answers.Count(a => a.Status == 429)} denied");
        Assert.Equal(10, answers.Count(a => a.Status == 200));
        Assert.Equal(90, answers.Count(a => a.Status == 429));
        Assert.Equal(Enumerable.Range(0, 10).Reverse(), answers.Where(a => a.Status == 200)
            .Select(a => a.Body.GetProperty("remaining").GetInt32()).OrderDescending());
        Assert.All(answers.Where(a => a.Status == 429), a =>
        {
            Assert.Equal("application/problem+json", a.ContentType);
            Assert.Equal(0, a.Body.GetProperty("remaining").GetInt32());
            Assert.False(a.Headers.ContainsKey("Retry-After"), "a limiter that never refills has no time to retry after");
        });
    }

    [Fact]
    public async Task Check_AfterEmptyingAndPausingWithRefillTwoPerSecond_AdmitsTwiceTheElapsedSeconds()
    {
        await using var host = await StartAsync("RateLimitRefill", refillPerSecond: 2);
        var http = new RateLimitHttp(host);
        const string Key = "user-refill";

        // The entity ran each denied check between sending it and reading its answer. So the refill time between the two
        // denials is at least the time from the first one's answer to the second one's sending, and at most the time
        // from the first one's sending to the second one's answer. The fraction of a token left at the first denial can
        // add one more admission, hence the tolerance of one on either side.
        var (emptying, first) = await CheckUntilDeniedAsync(http, Key);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (admitted, second) = await CheckUntilDeniedAsync(http, Key);
        var least = (int)Math.Floor(2 * Stopwatch.GetElapsedTime(first.AnsweredAt, second.SentAt).TotalSeconds);
        var most = (int)Math.Floor(2 * Stopwatch.GetElapsedTime(first.SentAt, second.AnsweredAt).TotalSeconds);

        output.WriteLine($"Emptied with {emptying} checks; after a 3 s pause {admitted} were admitted before the next denial; " +
            $"2 x the refill time between the denials: {least} at least, {most} at most");
        Assert.InRange(emptying, 10, 100);
        Assert.InRange(admitted, least - 1, most + 1);
    }

    private async Task<EngineHost> StartAsync(string hub, double refillPerSecond)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RateLimiter:Capacity"] = "10",
            ["RateLimiter:RefillPerSecond"] = refillPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiter:Shards"] = "16",
        }).Build();
        return await EngineHost.StartAsync(engine.NewOptions(hub) with { Configuration = configuration });
    }

    // Checks one at a time until one is denied; returns how many were admitted before it, and when the denied one was
    // sent and answered (Stopwatch timestamps).
    private static async Task<(int Admitted, (long SentAt, long AnsweredAt) Denied)> CheckUntilDeniedAsync(RateLimitHttp http, string key)
    {
        for (var admitted = 0; admitted <= 100; admitted++)
        {
            var sentAt = Stopwatch.GetTimestamp();
            var answer = await http.CheckAsync(key, Query);
            if (answer.Status != 200)
            {
                Assert.True(answer.Status == 429, $"expected 200 or 429, got {answer}");
                return (admitted, (sentAt, Stopwatch.GetTimestamp()));
            }
        }

        Assert.Fail("more than 100 checks were admitted");
        return default;
    }
}
