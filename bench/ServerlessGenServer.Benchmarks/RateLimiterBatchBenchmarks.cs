using System.Text.Json;
using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Benchmarks.Support;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using RateLimiter = ServerlessGenServer.Entities.RateLimiting.RateLimiter;

namespace ServerlessGenServer.Benchmarks;

/// <summary>
/// Rate-limit checks on one shard (ratelimiter@0, default options: capacity 10, 2 tokens/s, 16 shards) through
/// GrpcEntityRunner, at batch sizes 1, 50 and 5,000, with <see cref="Buckets"/> live buckets in the shard's state.
/// The checks go round-robin over those keys, each costing 1. Every bucket starts with 5.5 tokens counted 1 s ago
/// (7.5 now), so a key admits 7 checks and denies the rest: with 100 keys a batch of 5,000 is 14% allowed, with
/// 1,000 keys all are allowed. The baseline is System.Threading.RateLimiting's partitioned limiter with a token
/// bucket per key (same capacity and rate), in memory, doing 5,000 checks over the same keys.
/// </summary>
public class RateLimiterBatchBenchmarks
{
    private static readonly EntityInstanceId Shard0 = new("ratelimiter", "0");

    private EntityBatchRunner<RateLimiter> _runner = null!;
    private PartitionedRateLimiter<string> _baseline = null!;
    private string[] _keys = null!;
    private string _batch1 = null!;
    private string _batch50 = null!;
    private string _batch5000 = null!;

    /// <summary>Live buckets in the shard's state before the batch (and partitions in the baseline).</summary>
    [Params(10, 100, 1_000)]
    public int Buckets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = ShardKeys.On(0, Buckets);
        _runner = new EntityBatchRunner<RateLimiter>(BenchmarkClock.Now);
        var state = GenServerEnvelope.Persisted(StateWith(_keys));
        _batch1 = Checks(state, 1);
        _batch50 = Checks(state, 50);
        _batch5000 = Checks(state, 5_000);
        CheckAllowedCount();

        _baseline = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = 10,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(500),
                QueueLimit = 0,
                AutoReplenishment = false, // the partitioned limiter's own 100 ms timer replenishes its partitions
            }));
        foreach (var key in _keys)
        {
            using var lease = _baseline.AttemptAcquire(key, 3);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _baseline.Dispose();
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public Task<string> Check_Batch1() => _runner.RunAsync(_batch1);

    [Benchmark(OperationsPerInvoke = 50)]
    public Task<string> Check_Batch50() => _runner.RunAsync(_batch50);

    [Benchmark(OperationsPerInvoke = 5_000)]
    public Task<string> Check_Batch5000() => _runner.RunAsync(_batch5000);

    [Benchmark(Baseline = true, OperationsPerInvoke = 5_000)]
    public int PartitionedTokenBucket_5000()
    {
        var allowed = 0;
        for (var i = 0; i < 5_000; i++)
        {
            using var lease = _baseline.AttemptAcquire(_keys[i % _keys.Length]);
            if (lease.IsAcquired)
            {
                allowed++;
            }
        }

        return allowed;
    }

    /// <summary>A shard's state with a bucket of 5.5 tokens, counted 1 s ago, per key.</summary>
    public static RateLimiterState StateWith(IEnumerable<string> keys)
    {
        var state = new RateLimiterState();
        foreach (var key in keys)
        {
            state.Buckets[key] = new TokenBucket(5.5, BenchmarkClock.NowMs - 1_000);
        }

        return state;
    }

    private string Checks(string state, int count) => BatchRequest.Create(
        Shard0, state, Enumerable.Range(0, count).Select(i =>
            ("check", (string?)JsonSerializer.Serialize(new CheckRequest(_keys[i % _keys.Length]), GenServerJson.Options))));

    // 7 checks per key are allowed (7.5 tokens); anything else means the benchmark measures something other than it says.
    private void CheckAllowedCount()
    {
        var result = _runner.RunAndDecodeAsync(_batch5000).GetAwaiter().GetResult();
        BatchCheck.AllSucceeded(result, 5_000);
        var allowed = result.Results.Count(r => r.Success.Result.Contains("\"allowed\":true", StringComparison.Ordinal));
        var expected = Buckets * Math.Min(7, 5_000 / Buckets);
        if (allowed != expected || result.Actions.Count != 0)
        {
            throw new InvalidOperationException($"Expected {expected} allowed checks and no signals, got {allowed} and {result.Actions.Count}.");
        }
    }
}
