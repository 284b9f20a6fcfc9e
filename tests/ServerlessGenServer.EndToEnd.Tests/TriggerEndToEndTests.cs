using System.Text;
using Azure.Storage.Queues;
using ServerlessGenServer.EndToEnd.Tests.Support;

namespace ServerlessGenServer.EndToEnd.Tests;

/// <summary>The queue trigger and the timers, run by the local host from functions.metadata with host.json's rules.</summary>
[Collection(LocalHostGroup.Name)]
public sealed class TriggerEndToEndTests(LocalHostFixture fixture)
{
    private QueueClient Queue(string name) => new(fixture.Azurite.ConnectionString, name);

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task QueueMessage_ValidCast_AppliedToTheCounter()
    {
        var queue = Queue(LocalHostFixture.SignalQueue);
        await queue.CreateIfNotExistsAsync();

        await queue.SendMessageAsync(Base64("""{"server":"counter","key":"queued","operation":"increment","input":4}"""));

        Assert.Equal(4, await Eventually.WaitForAsync(() => ApiEndToEndTests.CounterAsync(fixture.Http, "queued"), v => v is not null, "the queued cast"));
    }

    [Fact]
    public async Task QueueMessage_Invalid_TriedMaxDequeueCountTimesThenPoisoned()
    {
        var queue = Queue(LocalHostFixture.SignalQueue);
        await queue.CreateIfNotExistsAsync();
        var text = Base64("""{"server":"counter","key":"poisoned","operation":"explode"}""");

        var sent = (await queue.SendMessageAsync(text)).Value;

        var poison = Queue(LocalHostFixture.SignalQueue + "-poison");
        var moved = await Eventually.WaitForAsync(
            async () => await poison.ExistsAsync() ? (await poison.PeekMessagesAsync(32)).Value.Where(m => m.MessageText == text).ToList() : [],
            m => m.Count == 1, "the message in the poison queue");
        Assert.Single(moved);
        var attempts = fixture.Logs.Entries.Count(e => e.Message.Contains(sent.MessageId, StringComparison.Ordinal) && e.Message.Contains("attempt", StringComparison.Ordinal));
        Assert.Equal(5, attempts); // host.json queues.maxDequeueCount
        Assert.Null(await ApiEndToEndTests.CounterAsync(fixture.Http, "poisoned"));
    }

    [Fact]
    public async Task QueueMessage_NotBase64_PoisonedAtOnce()
    {
        var queue = Queue(LocalHostFixture.SignalQueue);
        await queue.CreateIfNotExistsAsync();

        var sent = (await queue.SendMessageAsync("{not base64}")).Value;

        var poison = Queue(LocalHostFixture.SignalQueue + "-poison");
        await Eventually.WaitForAsync(
            async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync(32)).Value.Any(m => m.MessageText == "{not base64}"),
            found => found, "the undecodable message in the poison queue");
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Message.Contains(sent.MessageId, StringComparison.Ordinal) && e.Message.Contains("attempt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CleanupTimer_ScheduleFromTheSetting_Fires()
    {
        var runs = await Eventually.WaitForAsync(
            () => Task.FromResult(fixture.Logs.Entries.Count(e => e.Category.EndsWith("EntityCleanupTimer", StringComparison.Ordinal) &&
                e.Message.StartsWith("Entity cleanup:", StringComparison.Ordinal))),
            n => n >= 2, $"two runs of the cleanup timer on '{LocalHostFixture.CleanupSchedule}'", TimeSpan.FromSeconds(30));

        Assert.True(runs >= 2);
        Assert.Contains(fixture.Logs.Entries, e => e.Message == "Timer EntityCleanupTimer ran");
    }
}
