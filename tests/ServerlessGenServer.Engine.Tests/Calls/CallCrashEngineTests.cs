using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Faults;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Calls;

/// <summary>
/// The worker dies (its storage link cut, as in <see cref="WorkerCrashEngineTests"/>) in the middle of 500 concurrent
/// calls; a new worker takes over. The callers run in another process-like host that keeps its storage.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class CallCrashEngineTests(EngineFixture engine, ITestOutputHelper output)
{
    private const int Calls = 500;
    private const int Entities = 16;
    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task CallAsync_WorkerKilledMidway_EveryCallHasExactlyOneReplyAndKeyedAddsRunOnce()
    {
        var options = engine.NewOptions("CallCrash") with { ControlQueueVisibilityTimeout = VisibilityTimeout };
        using var link = StorageLink.To(engine.Azurite);
        var doomed = await EngineHost.StartAsync(options with { ConnectionString = link.ConnectionString });
        await using var callers = await EngineHost.StartAsync(options with { StartWorker = false });
        var client = new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance);
        var one = JsonSerializer.SerializeToElement(1L, GenServerJson.Options);
        EngineHost? successor = null;
        Task? abort = null;
        try
        {
            var calls = Enumerable.Range(0, Calls).Select(i => client.CallAsync(callers.Client,
                new CallRequest("tally", $"crash-{i % Entities}", "Add", one, IdempotencyKey: $"add-{i}"), TimeSpan.FromSeconds(5))).ToArray();
            await Eventually.WaitForAsync(() => TotalAsync(callers), t => t >= 50, "the first worker to apply 50 calls", TimeSpan.FromMinutes(2));
            link.Cut();
            var killed = Stopwatch.StartNew();
            abort = doomed.AbortAsync();
            successor = await EngineHost.StartAsync(options);

            var first = await Task.WhenAll(calls);
            var final = new List<(int Index, CallResult Result)>();
            for (var i = 0; i < Calls; i++)
            {
                var result = first[i];
                if (result.Status == CallStatus.Pending)
                {
                    var id = result.InstanceId;
                    result = (await Eventually.WaitForAsync(() => client.GetCallAsync(callers.Client, id),
                        r => r is { Status: not CallStatus.Pending }, $"call {id}'s reply", TimeSpan.FromMinutes(3)))!;
                }

                final.Add((i, result));
            }

            var settle = VisibilityTimeout + TimeSpan.FromSeconds(5) - killed.Elapsed;
            if (settle > TimeSpan.Zero)
            {
                await Task.Delay(settle);
            }

            var total = await TotalAsync(callers);
            output.WriteLine($"{first.Count(r => r.Status == CallStatus.Pending)} of {Calls} calls went pending; all replied " +
                             $"{killed.Elapsed.TotalSeconds:0.0} s after the kill; total {total}");
            Assert.All(final, f => Assert.Equal(CallStatus.Replied, f.Result.Status));
            Assert.Equal(Calls, total);
            foreach (var group in final.GroupBy(f => f.Index % Entities))
            {
                // A reply is a running total of its entity. Across the crash it may come from a batch the dead worker ran and
                // answered but never committed (the engine sends before it commits), so two calls can get the same total;
                // the committed state counts each call once (above).
                Assert.All(group, f => Assert.InRange(f.Result.Reply!.Value.GetInt64(), 1, group.Count()));
            }
        }
        finally
        {
            link.Cut();
            try
            {
                await (abort ?? doomed.AbortAsync()).WaitAsync(TimeSpan.FromSeconds(5));
            }
#pragma warning disable CA1031 // The dead worker's own failures (it cannot reach storage) do not matter; only that it stops.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                output.WriteLine($"The dead worker's forced stop ended with {ex.GetType().Name}: {ex.Message}");
            }

            await doomed.DisposeAsync();
            if (successor is not null)
            {
                await successor.DisposeAsync();
            }
        }
    }

    private static async Task<long> TotalAsync(EngineHost host)
    {
        var http = new GenServerHttp(host.Registry, host.Client);
        long total = 0;
        for (var e = 0; e < Entities; e++)
        {
            total += (await http.StateAsync("tally", $"crash-{e}"))?.GetProperty("total").GetInt64() ?? 0;
        }

        return total;
    }
}
