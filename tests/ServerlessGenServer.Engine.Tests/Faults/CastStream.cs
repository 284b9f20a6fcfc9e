using System.Collections.Concurrent;
using System.Diagnostics;
using ServerlessGenServer.Engine.Tests.Infrastructure;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// A stream of casts through the HTTP API, a few at a time, counting what the client saw: a cast is acknowledged when
/// it was answered 202 (the signal is in the queue); anything else, an exception included, is a failed send.
/// </summary>
internal sealed class CastStream
{
    private readonly ConcurrentBag<(long Started, long Ended)> _sends = [];
    private int _acknowledged;
    private int _failed;

    public int Acknowledged => Volatile.Read(ref _acknowledged);

    public int Failed => Volatile.Read(ref _failed);

    public int Sent => Acknowledged + Failed;

    public Task RunAsync(GenServerHttp http, string key, int count, int parallelism) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (_, _) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var answer = await http.CastAsync("counter", key, "increment");
                Interlocked.Increment(ref answer.Status == 202 ? ref _acknowledged : ref _failed);
            }
#pragma warning disable CA1031 // Whatever the failure (storage down, connection reset), the client saw no acknowledgement.
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failed);
            }

            _sends.Add((started, Stopwatch.GetTimestamp()));
        });

    /// <summary>How many sends were under way at some moment between two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public int SentDuring(long from, long to) => _sends.Count(s => s.Started <= to && s.Ended >= from);

    /// <summary>The counter's value as a state read shows it (0 before its first cast).</summary>
    public static async Task<long> ValueAsync(GenServerHttp http, string key) =>
        (await http.StateAsync("counter", key))?.GetProperty("value").GetInt64() ?? 0;
}
