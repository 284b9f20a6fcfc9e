using BenchmarkDotNet.Attributes;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Benchmarks;

/// <summary>
/// What the GenServer base adds per operation before dispatch: it reads the input once more (the dispatcher reads it
/// again) and validates it with DataAnnotations (for an object input: reflection over its properties, then
/// Validator.ValidateObject). Measured on the rate limiter's check input.
/// </summary>
public class ValidationBenchmarks
{
    private readonly CheckRequest _request = new("user-42");
    private GenServerOperation _check = null!;

    [GlobalSetup]
    public void Setup()
    {
        if (!GenServerRegistry.Default.TryGet("ratelimiter", out var limiter) || !limiter.Operations.TryGet("check", out var check))
        {
            throw new InvalidOperationException("The rate limiter has no check operation.");
        }

        _check = check;
    }

    [Benchmark]
    public void ValidateCheckInput() => _check.Validate(_request);
}
