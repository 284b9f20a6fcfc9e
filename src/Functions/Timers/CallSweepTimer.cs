using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.Timers;

/// <summary>
/// Every minute: removes the replies of pending calls once their retention is over, and the call orchestrations of
/// caller ids no worker uses any more (<see cref="GenServerClient.SweepAsync"/>). A reply is never removed before it
/// could be read: only instances finished and unchanged for the whole retention are purged.
/// </summary>
public sealed partial class CallSweepTimer(GenServerClient genServers, ILogger<CallSweepTimer> logger)
{
    [Function(nameof(CallSweepTimer))]
    public async Task Run(
        [TimerTrigger("0 * * * * *")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellation)
    {
        var purged = await genServers.SweepAsync(client, cancellation);
        LogSwept(logger, purged, genServers.Retention.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call sweep: {Purged} finished calls idle for {RetentionSeconds} s purged")]
    private static partial void LogSwept(ILogger logger, int purged, double retentionSeconds);
}
