using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Engine.Tests.RateLimiting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>
/// Every character the key rules allow survives real Table storage: server keys as the entity id (the Instances table's
/// partition key, read back by the list), rate-limit keys as members of a shard's stored state.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class KeyRoundTripEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    [Fact]
    public async Task ServerKeys_EveryAllowedCharacter_RoundTripThroughTheEntityId()
    {
        var host = await engine.HostForAsync(this, o => o with { Configuration = FixedQuota() });
        var http = new GenServerHttp(host.Registry, host.Client);
        var characters = Characters(c => EntityKey.Problem(c) is null).ToList();
        var keys = Pack(characters, "rt").ToList();

        var casts = await ForEachAsync(keys, k => http.CastAsync("counter", k, "increment"));

        Assert.All(casts, c => Assert.Equal(202, c.Status));
        var expected = keys.Select(k => EntityKey.Normalize(k)!).ToHashSet(StringComparer.Ordinal);
        var listed = await Eventually.WaitForAsync(
            () => ListAllAsync(http, "rt"), l => l.Count >= expected.Count, $"{expected.Count} counters listed", TimeSpan.FromMinutes(3));
        output.WriteLine($"{characters.Count} allowed characters in {keys.Count} keys, {listed.Count} listed back.");
        Assert.True(expected.SetEquals(listed), $"{expected.Except(listed).Count()} keys did not come back as sent");
        Assert.True(characters.Count > 100_000, "the allowed set covers the letters of every script");
    }

    [Fact]
    public async Task RateLimitKeys_EveryAllowedCharacter_RoundTripThroughTheShardsState()
    {
        var host = await engine.HostForAsync(this, o => o with { Configuration = FixedQuota() });
        var http = new GenServerHttp(host.Registry, host.Client);
        var limiter = new RateLimitHttp(host);
        // Every allowed BMP character, and every supplementary character the entity-key rules allow (unassigned and
        // private-use supplementary code points are allowed too, but not sent: they would be another 900,000 characters).
        // '/' is allowed in a key but cannot be sent in the path: %2F stays encoded in a route value, over a socket too
        // (README, the rate-limit endpoint). Every other character goes percent-encoded, as a client sends it.
        var characters = Characters(c => c != "/" && RateLimitKey.Problem(c) is null && EntityKey.FindInvisible(c) < 0 && EntityKey.Normalize(c) == c &&
            (c.Length == 1 || EntityKey.Problem(c) is null)).ToList();
        var keys = Pack(characters, "rl").ToList();

        // A long timeout: under this load a shard can take longer than the default 5 s to answer, which is not what is tested.
        var checks = await ForEachAsync(keys, k => limiter.CheckAsync(k, "?timeoutMs=60000"));

        Assert.All(checks, c => Assert.Equal(200, c.Status));
        var stored = new HashSet<string>(StringComparer.Ordinal);
        for (var shard = 0; shard < 16; shard++)
        {
            var state = (await http.GetAsync("ratelimiter", shard.ToString(CultureInfo.InvariantCulture))).Body;
            if (state.ValueKind == JsonValueKind.Object && state.TryGetProperty("state", out var s))
            {
                stored.UnionWith(s.Deserialize<RateLimiterState>(GenServerJson.Options)!.Buckets.Keys);
            }
        }

        output.WriteLine($"{characters.Count} allowed characters in {keys.Count} rate-limit keys; {stored.Count} buckets stored.");
        var expected = keys.Select(k => EntityKey.Normalize(k)!).ToList();
        Assert.All(expected, k => Assert.Contains(k, stored));
    }

    private static IConfiguration FixedQuota() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        // No refill: a bucket is never full again, so compaction never drops one before it is read.
        ["RateLimiter:RefillPerSecond"] = "0",
    }).Build();

    // Each allowed code point as a string, the surrogate range skipped.
    private static IEnumerable<string> Characters(Func<string, bool> allowed)
    {
        for (var codePoint = 0; codePoint <= 0x10FFFF; codePoint++)
        {
            if (codePoint is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            var text = char.ConvertFromUtf32(codePoint);
            if (allowed(text))
            {
                yield return text;
            }
        }
    }

    // Keys of at most 256 UTF-16 units: a numbered prefix, then as many characters as fit.
    private static IEnumerable<string> Pack(IEnumerable<string> characters, string prefix)
    {
        var key = new StringBuilder();
        var n = 0;
        foreach (var c in characters)
        {
            if (key.Length == 0)
            {
                key.Append(CultureInfo.InvariantCulture, $"{prefix}{n++:0000}-");
            }

            if (key.Length + c.Length > EntityKey.MaxLength)
            {
                yield return key.ToString();
                key.Clear().Append(CultureInfo.InvariantCulture, $"{prefix}{n++:0000}-");
            }

            key.Append(c);
        }

        if (key.Length > 0)
        {
            yield return key.ToString();
        }
    }

    private static async Task<List<T>> ForEachAsync<T>(List<string> keys, Func<string, Task<T>> send)
    {
        var results = new T[keys.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => results[i] = await send(keys[i]));
        return [.. results];
    }

    private static async Task<HashSet<string>> ListAllAsync(GenServerHttp http, string prefix)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        string? continuation = null;
        do
        {
            var query = $"?prefix={prefix}&top=1000" + (continuation is null ? "" : $"&continuation={Uri.EscapeDataString(continuation)}");
            var page = (await http.ListAsync("counter", query)).Body;
            keys.UnionWith(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()!));
            continuation = page.GetProperty("continuation").GetString();
        }
        while (continuation is not null);
        return keys;
    }
}
