using BenchmarkDotNet.Attributes;
using ServerlessGenServer.Benchmarks.Support;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Benchmarks;

/// <summary>The shard hash (XxHash32 of the key's UTF-8 bytes, modulo 16), per key, for short and long keys.</summary>
public class ShardHashBenchmarks
{
    private string[] _short = null!;
    private string[] _long = null!;

    [GlobalSetup]
    public void Setup()
    {
        _short = [.. Enumerable.Range(0, 1_000).Select(i => $"user-{i}")];
        _long = [.. Enumerable.Range(0, 1_000).Select(i => $"api-key:{i:D8}:{new string('k', 200)}")];
        if (RateLimitShards.For("user-42", ShardKeys.Shards) != 14)
        {
            throw new InvalidOperationException("The shard hash changed: user-42 must be on shard 14 of 16.");
        }
    }

    [Benchmark(OperationsPerInvoke = 1_000)]
    public int ShardFor_ShortKey() => Sum(_short);

    [Benchmark(OperationsPerInvoke = 1_000)]
    public int ShardFor_216CharKey() => Sum(_long);

    private static int Sum(string[] keys)
    {
        var sum = 0;
        foreach (var key in keys)
        {
            sum += RateLimitShards.For(key, ShardKeys.Shards);
        }

        return sum;
    }
}
