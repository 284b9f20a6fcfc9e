using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Configuration;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Caching;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The cache's TTL on the real engine: through the call path, and through its periodic cleanup message.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class CacheEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    /// <summary>The shortest cleanup period the options allow (the default is 60 s).</summary>
    private static readonly TimeSpan CleanupInterval = TimeSpan.FromSeconds(1);

    private async Task<(EngineHost Host, GenServerHttp Http)> StartAsync()
    {
        var host = await engine.HostForAsync(this, options => options with
        {
            Configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    [$"{CacheOptions.SectionName}:{nameof(CacheOptions.CleanupIntervalSeconds)}"] = $"{CleanupInterval.TotalSeconds:0}",
                })
                .Build(),
        });
        return (host, new GenServerHttp(host.Registry, host.Client));
    }

    [Fact]
    public async Task Get_AfterTheTtl_RepliesNullThroughTheCallPath()
    {
        var (_, http) = await StartAsync();

        await http.CastAsync("cache", "ttl", "put", """{"key":"session","value":{"user":"ada"},"ttlMs":3000}""");
        var stored = await Eventually.WaitForAsync(() => http.StateAsync("cache", "ttl"), s => s is not null, "the put");
        var expiresAt = stored!.Value.GetProperty("entries")[0].GetProperty("expiresAt").GetDateTimeOffset();
        var hit = await http.CallAsync("cache", "ttl", "get", "\"session\"");
        var hits = new List<DateTimeOffset>();
        var sentAt = DateTimeOffset.UtcNow;
        var miss = await Eventually.WaitForAsync(
            async () =>
            {
                sentAt = DateTimeOffset.UtcNow;
                var answer = await http.CallAsync("cache", "ttl", "get", "\"session\"");
                if (answer.Status == 200 && answer.Body.GetProperty("result").ValueKind != JsonValueKind.Null)
                {
                    hits.Add(sentAt);
                }

                return answer;
            },
            a => a.Status == 200 && a.Body.GetProperty("result").ValueKind == JsonValueKind.Null,
            "get to reply null");
        var missAt = DateTimeOffset.UtcNow;

        output.WriteLine($"TTL 3,000 ms: the last hit was sent {(expiresAt - hits.DefaultIfEmpty(sentAt).Max()).TotalMilliseconds:0} ms " +
                         $"before expiry, the first null came {(missAt - expiresAt).TotalMilliseconds:0} ms after it");
        Assert.Equal(200, hit.Status);
        Assert.Equal("ada", hit.Body.GetProperty("result").GetProperty("user").GetString());
        Assert.All(hits, at => Assert.True(at < expiresAt, $"a get sent at {at:O} replied a value that expired at {expiresAt:O}"));
        Assert.True(missAt >= expiresAt, $"get replied null at {missAt:O}, before the entry expired at {expiresAt:O}");
        Assert.Equal(200, miss.Status);
    }

    [Fact]
    public async Task Cleanup_ShortInterval_RemovesTheExpiredEntryAndTheStateShrinks()
    {
        var (host, http) = await StartAsync();
        var id = new EntityInstanceId("cache", "cleanup");
        var bulky = new string('x', 400);

        await http.CastAsync("cache", id.Key, "put", """{"key":"keep","value":"stays"}""");
        await http.CastAsync("cache", id.Key, "put", $$"""{"key":"temp","value":"{{bulky}}","ttlMs":1500}""");
        var full = await Eventually.WaitForAsync(
            () => host.Client.Entities.GetServerStateAsync<CacheState>(id), e => e?.State.Entries.Count == 2, "both puts");
        var statsBefore = await http.CallAsync("cache", id.Key, "stats");
        var fullLength = (await host.Client.Entities.GetEntityAsync(id))!.State.Value!.Length;
        var expiresAt = full!.State.Entries.Single(e => e.Key == "temp").ExpiresAt!.Value;
        var cleaned = await Eventually.WaitForAsync(
            () => host.Client.Entities.GetServerStateAsync<CacheState>(id), e => e?.State.Entries.Count == 1, "the cleanup");
        var cleanedLength = (await host.Client.Entities.GetEntityAsync(id))!.State.Value!.Length;
        var statsAfter = await http.CallAsync("cache", id.Key, "stats");

        output.WriteLine($"TTL 1,500 ms, cleanup every {CleanupInterval.TotalSeconds:0} s: removed {(cleaned!.LastModifiedTime - expiresAt).TotalMilliseconds:0} ms " +
                         $"after expiry; stored state {fullLength} -> {cleanedLength} characters");
        var before = statsBefore.Body.GetProperty("result");
        var after = statsAfter.Body.GetProperty("result");
        Assert.Equal(2, before.GetProperty("entries").GetInt32());
        Assert.True(before.GetProperty("cleanupRunning").GetBoolean());
        Assert.Equal(["keep"], cleaned.State.Entries.Select(e => e.Key));
        Assert.True(cleaned.LastModifiedTime >= expiresAt, $"removed at {cleaned.LastModifiedTime:O}, before it expired at {expiresAt:O}");
        Assert.True(cleaned.LastModifiedTime <= expiresAt + CleanupInterval + TimeSpan.FromSeconds(5), "removed within a cleanup period of expiring");
        Assert.Equal(1, after.GetProperty("entries").GetInt32());
        Assert.Equal(1, after.GetProperty("expired").GetInt64());
        Assert.Equal(0, after.GetProperty("misses").GetInt64()); // the cleanup removed it, not a get
        Assert.False(after.GetProperty("cleanupRunning").GetBoolean()); // no entry with a TTL is left: the chain ended
        Assert.True(after.GetProperty("bytes").GetInt32() < before.GetProperty("bytes").GetInt32() - bulky.Length);
        Assert.True(cleanedLength < fullLength - bulky.Length, $"the stored state went from {fullLength} to {cleanedLength} characters");
    }
}
