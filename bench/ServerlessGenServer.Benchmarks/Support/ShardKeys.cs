using System.Globalization;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Benchmarks.Support;

/// <summary>Realistic rate-limit keys ("user-123") that live on one shard, so a shard's checks never fail as misrouted.</summary>
public static class ShardKeys
{
    public const int Shards = 16; // RateLimiterOptions.Shards default

    /// <summary>The first <paramref name="count"/> keys "user-N" that <see cref="RateLimitShards"/> maps to <paramref name="shard"/>.</summary>
    public static string[] On(int shard, int count)
    {
        var keys = new List<string>(count);
        for (var i = 0; keys.Count < count; i++)
        {
            var key = "user-" + i.ToString(CultureInfo.InvariantCulture);
            if (RateLimitShards.For(key, Shards) == shard)
            {
                keys.Add(key);
            }
        }

        return [.. keys];
    }
}
