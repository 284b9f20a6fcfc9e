using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Triggers;

/// <summary>
/// Runs one timer-triggered function on its schedule (and at start when <c>runOnStartup</c> is set), one run at a time.
/// A run that throws is logged and the schedule goes on, as on the Functions host. There is a single local instance,
/// so no schedule monitor (singleton lock) is kept.
/// </summary>
internal sealed partial class TimerTriggerService(
    FunctionInvoker invoker, TimerSchedule schedule, DurableTaskClient client, IServiceProvider services, TimeProvider time, ILogger logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = time.GetUtcNow();
        if (invoker.Function.Trigger.Flag("runOnStartup"))
        {
            await RunAsync(last, last, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var next = schedule.Next(time.GetUtcNow());
            LogNext(logger, invoker.Function.Name, next);
            try
            {
                await Task.Delay(Max(next - time.GetUtcNow(), TimeSpan.Zero), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await RunAsync(last, next, stoppingToken);
            last = next;
        }
    }

    private async Task RunAsync(DateTimeOffset last, DateTimeOffset due, CancellationToken cancellation)
    {
        var now = time.GetUtcNow();
        var timer = new TimerInfo
        {
            IsPastDue = now - due > TimeSpan.FromSeconds(1),
            ScheduleStatus = new ScheduleStatus { Last = last.UtcDateTime, Next = schedule.Next(now).UtcDateTime, LastUpdated = now.UtcDateTime },
        };
        try
        {
            await invoker.InvokeAsync(services, new InvocationInput(client, cancellation) { Timer = timer });
            LogRan(logger, invoker.Function.Name);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed run is logged; the next one runs on schedule.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(logger, invoker.Function.Name, ex);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Timer {Function}: next run at {Next:O}")]
    private static partial void LogNext(ILogger logger, string function, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Function} ran")]
    private static partial void LogRan(ILogger logger, string function);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Function} failed")]
    private static partial void LogFailed(ILogger logger, string function, Exception exception);
}
