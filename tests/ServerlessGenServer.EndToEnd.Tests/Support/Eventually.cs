namespace ServerlessGenServer.EndToEnd.Tests.Support;

/// <summary>Polls the running host until a condition holds (real queues and schedules; never used to time anything).</summary>
internal static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}; last seen: {value}");
            }

            await Task.Delay(Interval);
        }
    }
}
