using System.Globalization;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Configuration;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Entities.Ticking;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>
/// The lifecycle on the real engine: a server deleted while its timer is pending stays deleted when the timer fires
/// (in OTP, a dead process's mail is dropped). Before the runtime kept timers, the cache's cleanup and the shard's
/// refill created an empty server again.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class LifecycleEngineTests(EngineFixture engine)
{
    /// <summary>How long after a timer's due time its firing has surely been handled: the queue polling interval and more.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(4);

    private async Task<(EngineHost Host, GenServerHttp Http)> StartAsync()
    {
        var host = await engine.HostForAsync(this, options => options with
        {
            Configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Cache:CleanupIntervalSeconds"] = "2",
                    ["RateLimiter:CompactionInterval"] = "00:00:02",
                })
                .Build(),
        });
        return (host, new GenServerHttp(host.Registry, host.Client));
    }

    [Fact]
    public async Task Delete_WithATimerPending_StaysDeletedAfterTheFiringTime()
    {
        var (host, http) = await StartAsync();
        var shard = RateLimitShards.For("lifecycle-user", new RateLimiterOptions().Shards).ToString(CultureInfo.InvariantCulture);
        var servers = new (string Server, string Key, string Timer, Func<Task<int>> Start)[]
        {
            ("cache", "lifecycle", Cache.CleanupTimer,
                async () => (await http.CastAsync("cache", "lifecycle", "put", """{"key":"k","value":1,"ttlMs":600000}""")).Status),
            ("ratelimiter", shard, RateLimiter.CompactionTimer,
                // Shards offer nothing to HTTP clients: the check reaches the shard as a signal, as /api/ratelimit's would.
                async () =>
                {
                    await host.Client.Entities.SignalEntityAsync(new EntityInstanceId("ratelimiter", shard), "check", new { key = "lifecycle-user" });
                    return 202;
                }),
            ("ticker", "lifecycle", Ticker.TickTimer,
                async () => (await http.CastAsync("ticker", "lifecycle", "start", """{"intervalMs":2000}""")).Status),
        };

        var due = await Task.WhenAll(servers.Select(async s =>
        {
            var started = await s.Start();
            Assert.True(started is 200 or 202, $"{s.Server}: {started}");
            var id = new EntityInstanceId(s.Server, s.Key);
            var armed = await Eventually.WaitForAsync(
                () => host.Client.Entities.GetServerStateAsync<object>(id), r => r?.TimerDue(s.Timer) is not null, $"{id}'s timer");
            Assert.Equal(202, (await http.DeleteAsync(s.Server, s.Key)).Status);
            await Eventually.WaitForAsync(() => http.StateAsync(s.Server, s.Key), st => st is null, $"{id} to be deleted");
            return armed!.TimerDue(s.Timer)!.Value;
        }));

        var wait = due.Max() + Settle - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        foreach (var (server, key, _, _) in servers)
        {
            Assert.Equal(404, (await http.GetAsync(server, key)).Status);
            var listed = await http.ListAsync(server);
            Assert.DoesNotContain(listed.Body.GetProperty("items").EnumerateArray(), i => i.GetProperty("key").GetString() == key);
        }
    }
}
