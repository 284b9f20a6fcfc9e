using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Functions.Timers;

/// <summary>
/// Pokes every rate-limiter shard with <c>Refill(0)</c> on the <c>RATELIMITER_REFILL_SCHEDULE</c> app setting, so a
/// shard whose refill chain was lost is still compacted. A shard with a live chain ignores the poke.
/// </summary>
public sealed partial class RefillTimer(IOptions<RateLimiterOptions> options, ILogger<RefillTimer> logger)
{
    /// <summary>Signals at a time: enough to keep the queue busy without a burst of hundreds of writes.</summary>
    public const int Parallelism = 16;

    private static readonly string ServerName = GenServerRegistry.NameOf(typeof(RateLimiter));
    private readonly RateLimiterOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    [Function(nameof(RefillTimer))]
    public async Task Run(
        [TimerTrigger("%RATELIMITER_REFILL_SCHEDULE%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        await Parallel.ForEachAsync(
            Enumerable.Range(0, _options.Shards),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellation },
            async (shard, ct) => await client.Entities.SignalEntityAsync(
                new EntityInstanceId(ServerName, shard.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                nameof(RateLimiter.Refill), RateLimiter.Poke, options: null, ct));
        LogPoked(logger, _options.Shards, timer?.IsPastDue ?? false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Poked {Shards} rate-limiter shards to compact (past due: {PastDue})")]
    private static partial void LogPoked(ILogger logger, int shards, bool pastDue);
}
