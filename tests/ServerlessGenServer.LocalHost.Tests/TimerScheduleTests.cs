using ServerlessGenServer.LocalHost.Triggers;

namespace ServerlessGenServer.LocalHost.Tests;

public sealed class TimerScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 2, 59, 30, TimeSpan.Zero);

    [Theory]
    [InlineData("0 0 3 * * *", "2026-12-07T03:00:00+00:00")] // ENTITY_CLEANUP_SCHEDULE: 03:00 daily
    [InlineData("0 */5 * * * *", "2026-12-07T03:00:00+00:00")] // RATELIMITER_REFILL_SCHEDULE
    [InlineData("*/3 * * * * *", "2026-12-07T02:59:33+00:00")]
    [InlineData("0 4 * * *", "2026-12-07T04:00:00+00:00")] // five fields: no seconds
    [InlineData("00:00:10", "2026-12-07T02:59:40+00:00")] // a TimeSpan interval
    public void Next_Expression_FirstOccurrenceAfter(string expression, string expected)
    {
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), TimerSchedule.Parse(expression).Next(Start));
    }

    [Fact]
    public void Next_AtAnOccurrence_TheOneAfter()
    {
        var schedule = TimerSchedule.Parse("0 0 3 * * *");

        Assert.Equal(new DateTimeOffset(2026, 12, 8, 3, 0, 0, TimeSpan.Zero), schedule.Next(new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("every day")]
    [InlineData("61 * * * * *")]
    [InlineData("-00:00:01")]
    [InlineData("%ENTITY_CLEANUP_SCHEDULE%")]
    public void Parse_NotASchedule_FormatException(string expression)
    {
        Assert.Throws<FormatException>(() => TimerSchedule.Parse(expression));
    }
}
