using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Calls;

/// <summary>
/// Many calls to one entity: its stored state (the engine's scheduler state, message sorter included) stays bounded,
/// and the call rate does not decay as calls accumulate. The longer run is the engine benchmark's.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class CallSoakEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    private const int Calls = 2_000;
    private const int Callers = 16;

    [Fact]
    public async Task CallAsync_2000CallsToOneEntity_StoredStateStaysBoundedAndRateHolds()
    {
        await using var host = await Hosting.EngineHost.StartAsync(engine.NewOptions("Soak"));
        var client = new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance);
        var one = JsonSerializer.SerializeToElement(1L, GenServerJson.Options);
        var clock = Stopwatch.StartNew();
        var done = new long[Calls];
        var replies = new long[Calls];
        var next = -1;
        var sizes = new List<int>();

        await Task.WhenAll(Enumerable.Range(0, Callers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Calls)
            {
                var result = await client.CallAsync(host.Client, new CallRequest("tally", "soak", "Add", one), TimeSpan.FromSeconds(60));
                Assert.Equal(CallStatus.Replied, result.Status);
                replies[i] = result.Reply!.Value.GetInt64();
                done[i] = clock.ElapsedMilliseconds;
                if (i % 500 == 499)
                {
                    sizes.Add(await StoredStateSizeAsync(host));
                }
            }
        }));
        sizes.Add(await StoredStateSizeAsync(host));

        var order = done.Order().ToArray();
        var quarter = Calls / 4;
        var firstRate = quarter * 1000.0 / Math.Max(1, order[quarter - 1] - order[0]);
        var lastRate = quarter * 1000.0 / Math.Max(1, order[^1] - order[^quarter]);
        output.WriteLine($"{Calls} calls in {clock.ElapsedMilliseconds} ms; first quarter {firstRate:0}/s, last {lastRate:0}/s; " +
                         $"stored entity state {string.Join(", ", sizes)} chars");
        // Every reply is a distinct running total: each call got its own.
        Assert.Equal(Enumerable.Range(1, Calls).Select(i => (long)i), replies.Order());
        Assert.All(sizes, s => Assert.InRange(s, 1, 16 * 1024));
        Assert.True(lastRate >= firstRate * 0.75, $"the rate fell from {firstRate:0}/s to {lastRate:0}/s");
    }

    // The entity's stored input: its state and the engine's scheduler state, message sorter included (one entry per
    // sender that called it within the reorder window), rewritten with every batch.
    private static async Task<int> StoredStateSizeAsync(Hosting.EngineHost host)
    {
        var states = await host.Service.GetOrchestrationStateAsync("@tally@soak", allExecutions: false);
        return states.Single().Input?.Length ?? 0;
    }
}
