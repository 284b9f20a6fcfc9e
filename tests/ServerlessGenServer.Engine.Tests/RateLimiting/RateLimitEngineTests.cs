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

        // The elapsed time runs from sending the check that is denied (the bucket has less than one token: it was
        // empty when the entity ran it, a moment later) to the answer of the next denial (the entity ran it a moment
        // earlier). So it is never shorter than the refill time between the two; the fraction of a token left at the
        // first denial can add one more admission, hence the tolerance of one.
        var (emptying, emptiedAt) = await CheckUntilDeniedAsync(http, Key);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var paused = Stopwatch.GetElapsedTime(emptiedAt);
        var (admitted, _) = await CheckUntilDeniedAsync(http, Key);
        var elapsed = Stopwatch.GetElapsedTime(emptiedAt);
        var expected = (int)Math.Floor(2 * elapsed.TotalSeconds);

        output.WriteLine($"Emptied with {emptying} checks; paused to {paused.TotalSeconds:0.000} s; then {admitted} admitted before the next denial, " +
            $"{elapsed.TotalSeconds:0.000} s after the first: floor(2 x elapsed) = {expected}");
        Assert.InRange(emptying, 10, 100);
        Assert.InRange(admitted, expected - 1, expected + 1);
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

    // Checks one at a time until one is denied; returns how many were admitted before it, and when the denied one was sent.
    private static async Task<(int Admitted, long DeniedSentAt)> CheckUntilDeniedAsync(RateLimitHttp http, string key)
    {
        for (var admitted = 0; admitted <= 100; admitted++)
        {
            var sentAt = Stopwatch.GetTimestamp();
            var answer = await http.CheckAsync(key, Query);
            if (answer.Status != 200)
            {
                Assert.True(answer.Status == 429, $"expected 200 or 429, got {answer}");
                return (admitted, sentAt);
            }
        }

        Assert.Fail("more than 100 checks were admitted");
        return default;
    }
}
