using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ServerlessGenServer.Benchmarks.Support;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Benchmarks;

/// <summary>
/// The profile of a check: the durabletask-dotnet shim serializes an entity's whole state after every operation
/// (TaskEntity&lt;T&gt; calls State.SetState, which serializes at once) and deserializes it once per batch. These
/// isolate those two costs, and reading one check's input, with the project's JSON options.
/// </summary>
public class StateJsonBenchmarks
{
    private RateLimiterState _state = null!;
    private string _json = null!;
    private readonly string _input = """{"key":"user-42","cost":1}""";

    [Params(10, 100, 1_000)]
    public int Buckets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _state = RateLimiterBatchBenchmarks.StateWith(ShardKeys.On(0, Buckets));
        _json = JsonSerializer.Serialize(_state, GenServerJson.Options);
    }

    [Benchmark]
    public string SerializeState() => JsonSerializer.Serialize(_state, GenServerJson.Options);

    [Benchmark]
    public RateLimiterState? DeserializeState() => JsonSerializer.Deserialize<RateLimiterState>(_json, GenServerJson.Options);

    [Benchmark]
    public CheckRequest? DeserializeCheckInput() => JsonSerializer.Deserialize<CheckRequest>(_input, GenServerJson.Options);
}
