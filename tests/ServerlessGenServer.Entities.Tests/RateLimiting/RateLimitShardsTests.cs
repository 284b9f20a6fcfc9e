using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Entities.Tests.RateLimiting;

public sealed class RateLimitShardsTests
{
    // Golden vectors: computed by an independent XXH32 implementation (seed 0, UTF-8 bytes); "", "a" and "abc"
    // are the reference values published with xxHash. If one changes, every deployed key moves to another shard.
    [Theory]
    [InlineData("", 0x02CC5D05u, 5)]
    [InlineData("a", 0x550D7456u, 6)]
    [InlineData("abc", 0x32D153FFu, 15)]
    [InlineData("user-42", 0x61819A7Eu, 14)]
    [InlineData("user:1001", 0xB2C34956u, 6)]
    [InlineData("api-key/7f3a", 0x861A2272u, 2)]
    [InlineData("ユーザー42", 0xC1676B23u, 3)]
    [InlineData("Ünïcödé", 0xAEA5D587u, 7)]
    [InlineData("😀 rocket", 0x5624E712u, 2)]
    [InlineData("192.168.0.1", 0x8A1D5309u, 9)]
    [InlineData("a much longer key that spans more than sixteen bytes", 0x5182D013u, 3)]
    public void Hash_GoldenVectors_NeverChange(string key, uint hash, int shardOf16)
    {
        Assert.Equal(hash, RateLimitShards.Hash(key));
        Assert.Equal(shardOf16, RateLimitShards.For(key, 16));
    }

    [Fact]
    public void Hash_KeyLongerThanTheStackBuffer_HashesAllItsBytes()
    {
        // 300 three-byte characters: 900 UTF-8 bytes, past the stack buffer for the worst case (3 bytes per char).
        var key = new string('ー', 300);

        Assert.NotEqual(RateLimitShards.Hash(key), RateLimitShards.Hash(key[..299]));
        Assert.Equal(RateLimitShards.Hash(key), RateLimitShards.Hash(string.Concat(key)));
    }

    [Fact]
    public void For_TenThousandKeysOverSixteenShards_IsWithin25PercentOfEven()
    {
        var counts = new int[16];
        for (var i = 0; i < 10_000; i++)
        {
            counts[RateLimitShards.For($"user-{i}", 16)]++;
        }

        const double even = 10_000 / 16d;
        Assert.All(counts, c => Assert.InRange(c, even * 0.75, even * 1.25));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 7)]
    [InlineData(1024, 800)] // 2,000 keys into 1,024 shards reach about 880 of them when the hash is uniform.
    public void For_AnyShardCount_StaysInRangeAndReachesTheShards(int shards, int minimumReached)
    {
        var seen = Enumerable.Range(0, 2_000).Select(i => RateLimitShards.For($"k{i}", shards)).ToList();

        Assert.All(seen, s => Assert.InRange(s, 0, shards - 1));
        Assert.InRange(seen.Distinct().Count(), minimumReached, shards);
    }

    [Fact]
    public void For_ZeroShards_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RateLimitShards.For("k", 0));
}
