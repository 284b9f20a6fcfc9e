using BenchmarkDotNet.Attributes;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Benchmarks.Floors;
using ServerlessGenServer.Benchmarks.Support;
using ServerlessGenServer.Entities.Counting;

namespace ServerlessGenServer.Benchmarks;

/// <summary>
/// Counter increments through GrpcEntityRunner at the batch sizes Durable Functions uses: 1 (no batching),
/// 50 (maxEntityOperationBatchSize on Consumption, and this app's host.json) and 5,000 (the default elsewhere).
/// Each reported time is per increment (OperationsPerInvoke = batch size); the state starts at 1,000 every batch.
/// </summary>
public class CounterBatchBenchmarks
{
    private static readonly EntityInstanceId Id = new("counter", "bench");
    private EntityBatchRunner<Counter> _runner = null!;
    private EntityBatchRunner<PlainCounter> _plain = null!;
    private EntityBatchRunner<SwitchCounter> _switch = null!;
    private string _batch1 = null!;
    private string _batch50 = null!;
    private string _batch5000 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _runner = new EntityBatchRunner<Counter>(BenchmarkClock.Now);
        _plain = new EntityBatchRunner<PlainCounter>(BenchmarkClock.Now);
        _switch = new EntityBatchRunner<SwitchCounter>(BenchmarkClock.Now);
        _batch1 = Increments(1);
        _batch50 = Increments(50);
        _batch5000 = Increments(5_000);

        foreach (var result in new[] { _runner.RunAndDecodeAsync(_batch5000), _plain.RunAndDecodeAsync(_batch5000), _switch.RunAndDecodeAsync(_batch5000) }
            .Select(t => t.GetAwaiter().GetResult()))
        {
            BatchCheck.AllSucceeded(result, 5_000);
            if (result.EntityState != """{"value":6000}""")
            {
                throw new InvalidOperationException($"Unexpected counter state {result.EntityState}.");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _plain.Dispose();
        _switch.Dispose();
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public Task<string> Increment_Batch1() => _runner.RunAsync(_batch1);

    [Benchmark(OperationsPerInvoke = 50)]
    public Task<string> Increment_Batch50() => _runner.RunAsync(_batch50);

    [Benchmark(OperationsPerInvoke = 5_000)]
    public Task<string> Increment_Batch5000() => _runner.RunAsync(_batch5000);

    /// <summary>The same batch on a bare TaskEntity&lt;T&gt;: what the GenServer layer adds.</summary>
    [Benchmark(OperationsPerInvoke = 5_000)]
    public Task<string> PlainTaskEntity_Batch5000() => _plain.RunAsync(_batch5000);

    /// <summary>The same batch with switch dispatch: what durabletask-dotnet's reflection dispatch adds.</summary>
    [Benchmark(OperationsPerInvoke = 5_000)]
    public Task<string> SwitchEntity_Batch5000() => _switch.RunAsync(_batch5000);

    // Half with the default amount (no input), half with an explicit one, as clients send both.
    private static string Increments(int count) => BatchRequest.Create(
        Id, """{"value":1000}""", Enumerable.Range(0, count).Select(i => ("increment", i % 2 == 0 ? null : "1")));
}
