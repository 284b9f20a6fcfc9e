using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Timers;

/// <summary>
/// Re-arms GenServer timers whose firing was lost, on the <c>TIMER_WATCHDOG_SCHEDULE</c> app setting (NCRONTAB): it
/// reads the stored envelopes of the servers and sends again the firing of every timer more than <see cref="Grace"/>
/// overdue. The firing carries the timer's generation, so if the original was only late, one of the two finds the timer
/// handled and does nothing.
/// </summary>
/// <remarks>
/// Bounded per run: at most <see cref="MaxPagesPerRun"/> pages of <see cref="PageSize"/> entity states are read, and
/// the next run goes on from there (the cursor is kept per worker process; a new process starts from the beginning).
/// It reads table rows and sends messages only for overdue timers: no entity is activated to be checked.
/// </remarks>
public sealed partial class TimerWatchdog(TimeProvider time, GenServerRegistry registry, ILogger<TimerWatchdog> logger)
{
    public const int PageSize = 100;

    public const int MaxPagesPerRun = 20;

    /// <summary>How late a firing may be before it counts as lost (scheduled signals run late under load).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    private static string? s_cursor;

    [Function(nameof(TimerWatchdog))]
    public async Task Run(
        [TimerTrigger("%TIMER_WATCHDOG_SCHEDULE%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        var dueBefore = time.GetUtcNow() - Grace;
        int read = 0, rearmed = 0, pages = 0;
        var query = new EntityQuery { IncludeState = true, PageSize = PageSize, ContinuationToken = s_cursor };
        string? cursor = null;
        await foreach (var page in client.Entities.GetAllEntitiesAsync(query).AsPages(query.ContinuationToken, PageSize)
            .WithCancellation(cancellation))
        {
            foreach (var entity in page.Values)
            {
                read++;
                if (!registry.TryGet(entity.Id.Name, out _) || entity.State.Value is not { } stored)
                {
                    continue;
                }

                foreach (var firing in GenServerEnvelope.OverdueFirings(stored, dueBefore))
                {
                    await client.Entities.SignalEntityAsync(entity.Id, GenServerTimer.FiringOperation, firing, options: null, cancellation);
                    LogRearmed(logger, entity.Id, firing.Name);
                    rearmed++;
                }
            }

            cursor = page.ContinuationToken;
            if (++pages >= MaxPagesPerRun || string.IsNullOrEmpty(cursor))
            {
                break;
            }
        }

        s_cursor = string.IsNullOrEmpty(cursor) ? null : cursor;
        LogChecked(logger, read, pages, rearmed, s_cursor is not null, timer?.IsPastDue ?? false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer watchdog: {EntityId}'s timer '{Timer}' was overdue; its firing was sent again")]
    private static partial void LogRearmed(ILogger logger, Microsoft.DurableTask.Entities.EntityInstanceId entityId, string timer);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Timer watchdog: {Read} entities read in {Pages} pages, {Rearmed} lost firings sent again (more to read: {More}; past due: {PastDue})")]
    private static partial void LogChecked(ILogger logger, int read, int pages, int rearmed, bool more, bool pastDue);
}
