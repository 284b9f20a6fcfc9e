namespace ServerlessGenServer.Benchmarks.Support;

/// <summary>The fixed "now" of every entity benchmark, so every invocation does the same work.</summary>
public static class BenchmarkClock
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public static long NowMs => Now.ToUnixTimeMilliseconds();
}
