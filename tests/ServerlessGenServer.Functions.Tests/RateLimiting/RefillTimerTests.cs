using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Tests.Support;
using ServerlessGenServer.Functions.Timers;

namespace ServerlessGenServer.Functions.Tests.RateLimiting;

public sealed class RefillTimerTests
{
    private readonly Clients _clients = new();

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(40)]
    public async Task Run_EveryShard_GetsOneRestartPoke(int shards)
    {
        var poked = new ConcurrentBag<EntityInstanceId>();
        _clients.Entities.Setup(e => e.SignalEntityAsync(It.IsAny<EntityInstanceId>(), "Refill", RateLimiter.Poke, null, It.IsAny<CancellationToken>()))
            .Callback<EntityInstanceId, string, object?, SignalEntityOptions?, CancellationToken>((id, _, _, _, _) => poked.Add(id))
            .Returns(Task.CompletedTask);
        var timer = new RefillTimer(Options.Create(new RateLimiterOptions { Shards = shards }), NullLogger<RefillTimer>.Instance);

        await timer.Run(new TimerInfo(), _clients.Client.Object, CancellationToken.None);

        Assert.Equal(
            Enumerable.Range(0, shards).Select(i => new EntityInstanceId("ratelimiter", i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            poked.OrderBy(id => int.Parse(id.Key, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Schedule_ComesFromTheAppSetting()
    {
        var attribute = typeof(RefillTimer).GetMethod(nameof(RefillTimer.Run))!.GetParameters()[0]
            .GetCustomAttributes(typeof(TimerTriggerAttribute), false).Cast<TimerTriggerAttribute>().Single();

        Assert.Equal("%RATELIMITER_REFILL_SCHEDULE%", attribute.Schedule);
    }
}
