using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Queues;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// Hostile signal-queue messages. The function throws a <see cref="ValidationException"/>: the Functions host retries the
/// message (host.json <c>queues.maxDequeueCount</c>) and then moves it to the poison queue; nothing reaches an entity.
/// </summary>
public sealed class HostileQueueMessageTests
{
    private static readonly string Deep = new string('[', 64) + new string(']', 64);

    private readonly Hostile _hostile = new();
    private readonly SignalQueueFunction _function = new(
        GenServerRegistry.Default, new GenServerClient(new FakeTimeProvider(), NullLogger<GenServerClient>.Instance),
        NullLogger<SignalQueueFunction>.Instance);

    public static TheoryData<string> BadMessages => new()
    {
        // Not the message's shape.
        "",
        "{",
        "{\"server\":\"counter\",\"key\":\"c1\",\"operation\":\"increment",
        """{"server":"counter","key":"c1","operation":"increment"} x""",
        "[]",
        "\"counter\"",
        "42",
        "null",
        """{"server":1,"key":"c1","operation":"increment"}""",
        """{"server":"counter","key":["c1"],"operation":"increment"}""",
        """{"server":"counter","key":"c1","operation":"increment","extra":true}""",
        """{"server":"counter","server":"ticker","key":"c1","operation":"stop"}""",
        """{"server":"counter","key":"c1","operation":"increment","Input":5,"input":6}""",
        // Bad targets.
        """{"server":"","key":"c1","operation":"increment"}""",
        """{"server":"nope","key":"c1","operation":"increment"}""",
        """{"server":"counter","key":"a b","operation":"increment"}""",
        """{"server":"counter","key":"a\u0000b","operation":"increment"}""",
        """{"server":"counter","key":"a\u200Bb","operation":"increment"}""",
        """{"server":"counter","key":"a@b","operation":"increment"}""",
        """{"server":"counter","key":"\uD800","operation":"increment"}""",
        $$"""{"server":"counter","key":"{{new string('k', 257)}}","operation":"increment"}""",
        """{"server":"counter","key":"c1","operation":""}""",
        """{"server":"counter","key":"c1","operation":"delete"}""",
        """{"server":"counter","key":"c1","operation":"value"}""",
        """{"server":"cache","key":"c1","operation":"get","input":"k"}""",
        """{"server":"ratelimiter","key":"0","operation":"refill","input":0}""",
        """{"server":"cache","key":"c1","operation":"cleanup","input":{"chain":"x","seq":1}}""",
        """{"server":"cache","key":"c1","operation":"warmUp"}""",
        // Bad inputs.
        """{"server":"counter","key":"c1","operation":"increment","input":"5"}""",
        """{"server":"counter","key":"c1","operation":"increment","input":1e400}""",
        """{"server":"counter","key":"c1","operation":"increment","input":NaN}""",
        """{"server":"counter","key":"c1","operation":"increment","input":1.5}""",
        """{"server":"counter","key":"c1","operation":"increment","input":-1}""",
        """{"server":"counter","key":"c1","operation":"increment","input":9223372036854775808}""",
        """{"server":"counter","key":"c1","operation":"increment","input":{}}""",
        """{"server":"counter","key":"c1","operation":"reset","input":5}""",
        $$$"""{"server":"cache","key":"c1","operation":"put","input":{"key":"k","value":{{{Deep}}}}}""",
        """{"server":"cache","key":"c1","operation":"put","input":{"key":"k","value":1,"ttl":5}}""",
        """{"server":"ticker","key":"t1","operation":"start","input":{"intervalMs":1000,"intervalMs":60000}}""",
    };

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task Run_HostileMessage_ThrowsValidationExceptionAndNeverSignals(string message)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => _function.Run(message, _hostile.Clients.Client.Object, CancellationToken.None));

        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        _hostile.AssertNoClientCall();
    }
}
