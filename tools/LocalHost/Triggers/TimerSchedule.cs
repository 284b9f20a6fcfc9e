using System.Globalization;
using NCrontab;

namespace ServerlessGenServer.LocalHost.Triggers;

/// <summary>
/// A timer trigger's schedule as the Functions timer extension reads it: an NCRONTAB expression with seconds
/// ("0 */5 * * * *", six fields; five fields are read without seconds) or a TimeSpan interval ("00:05:00").
/// Occurrences are computed in UTC, the Functions host's default (WEBSITE_TIME_ZONE unset).
/// </summary>
public sealed class TimerSchedule
{
    private readonly CrontabSchedule? _cron;
    private readonly TimeSpan _interval;

    private TimerSchedule(string expression, CrontabSchedule? cron, TimeSpan interval)
    {
        Expression = expression;
        _cron = cron;
        _interval = interval;
    }

    public string Expression { get; }

    /// <exception cref="FormatException">Neither a cron expression nor a positive interval.</exception>
    public static TimerSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is 5 or 6)
        {
            var cron = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 })
                ?? throw new FormatException($"'{expression}' is not a valid NCRONTAB expression.");
            return new TimerSchedule(expression, cron, default);
        }

        if (TimeSpan.TryParse(expression, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return new TimerSchedule(expression, null, interval);
        }

        throw new FormatException($"'{expression}' is neither an NCRONTAB expression (6 fields) nor a positive TimeSpan.");
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after) => _cron is { } cron
        ? new DateTimeOffset(DateTime.SpecifyKind(cron.GetNextOccurrence(after.UtcDateTime), DateTimeKind.Utc))
        : after + _interval;
}
