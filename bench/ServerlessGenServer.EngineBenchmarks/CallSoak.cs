using System.Diagnostics;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>What one entity has in storage after a number of calls.</summary>
/// <param name="InputChars">The entity's stored input: its state and the engine's scheduler state (message sorter included).</param>
/// <param name="HistoryRows">Rows of the entity's instance in the History table.</param>
/// <param name="HistoryChars">Characters (strings) and bytes (binary) in those rows.</param>
/// <param name="LargeMessageBytes">Bytes in the task hub's whole largemessages container (the entity is the only hot instance).</param>
public sealed record StoredSize(int Calls, int InputChars, int HistoryRows, long HistoryChars, long LargeMessageBytes);

/// <summary>The soak's outcome: rate per quarter, CPU per call, and the entity's stored size every 1,000 calls.</summary>
public sealed record SoakResult(
    int Calls, int Callers, double Seconds, double CallsPerSecond, double[] QuarterRates, double LastOverFirst,
    double ClientAndEngineCpuMsPerCall, double AzuriteCpuMsPerCall, bool RepliesExact, IReadOnlyList<StoredSize> Sizes);

/// <summary>
/// Many calls to one entity through <see cref="GenServerClient.CallAsync"/> (the CI soak test does 2,000; this does
/// 10,000): every reply must be a distinct running total, and the entity's stored state is read every 1,000 calls.
/// </summary>
public sealed class CallSoak(EngineHost host, string connectionString, CpuMeter cpu)
{
    private const string Key = "soak";
    private static readonly string InstanceId = $"@tally@{Key}";

    public async Task<SoakResult> RunAsync(int calls, int callers)
    {
        var client = new GenServerClient(TimeProvider.System, NullLogger<GenServerClient>.Instance);
        var one = JsonSerializer.SerializeToElement(1L, GenServerJson.Options);
        var done = new long[calls];
        var replies = new long[calls];
        var failed = 0;
        var next = -1;
        var sizes = new List<StoredSize>();
        var sizing = new SemaphoreSlim(1);
        var clock = Stopwatch.StartNew();
        var (engineBefore, azuriteBefore) = cpu.Totals();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls)
            {
                var result = await client.CallAsync(host.Client, new CallRequest("tally", Key, "Add", one), TimeSpan.FromSeconds(60));
                if (result.Status == CallStatus.Replied)
                {
                    replies[i] = result.Reply!.Value.GetInt64();
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }

                done[i] = clock.ElapsedMilliseconds;
                if (i % 1_000 == 999)
                {
                    await sizing.WaitAsync();
                    try
                    {
                        sizes.Add(await SizeAsync(i + 1));
                    }
                    finally
                    {
                        sizing.Release();
                    }
                }
            }
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var (engineAfter, azuriteAfter) = cpu.Totals();
        sizes.Add(await SizeAsync(calls));

        var order = done.Order().ToArray();
        var quarter = calls / 4;
        var rates = Enumerable.Range(0, 4)
            .Select(q => Math.Round(quarter * 1000.0 / Math.Max(1, order[(q + 1) * quarter - 1] - (q == 0 ? 0 : order[q * quarter - 1])), 1))
            .ToArray();
        var exact = failed == 0 && replies.Order().SequenceEqual(Enumerable.Range(1, calls).Select(i => (long)i));
        return new SoakResult(calls, callers, Math.Round(seconds, 1), Math.Round(calls / seconds, 1), rates, Math.Round(rates[3] / rates[0], 2),
            Math.Round((engineAfter - engineBefore).TotalMilliseconds / calls, 2), Math.Round((azuriteAfter - azuriteBefore).TotalMilliseconds / calls, 2),
            exact, sizes.OrderBy(s => s.Calls).ToArray());
    }

    private async Task<StoredSize> SizeAsync(int calls)
    {
        var hub = host.Options.TaskHubName;
        var input = (await host.Service.GetOrchestrationStateAsync(InstanceId, allExecutions: false)).Single().Input?.Length ?? 0;

        var history = new TableClient(connectionString, $"{hub}History");
        var rows = 0;
        long chars = 0;
        await foreach (var row in history.QueryAsync<TableEntity>(e => e.PartitionKey == InstanceId))
        {
            rows++;
            chars += ((IDictionary<string, object>)row).Values.Sum(v => v switch { string s => s.Length, byte[] b => b.Length, BinaryData d => d.ToMemory().Length, _ => 0 });
        }

        var container = new BlobContainerClient(connectionString, $"{hub.ToLowerInvariant()}-largemessages");
        long blobBytes = 0;
        if (await container.ExistsAsync())
        {
            await foreach (var blob in container.GetBlobsAsync())
            {
                blobBytes += blob.Properties.ContentLength ?? 0;
            }
        }

        return new StoredSize(calls, input, rows, chars, blobBytes);
    }
}
