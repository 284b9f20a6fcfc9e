using System.Buffers.Text;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>Idempotency-Key on the real engine: duplicates of a cast or call change the state once; a repeated call gets the first reply.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class IdempotencyTests(EngineFixture engine, ITestOutputHelper output)
{
    private const string NoWait = "?timeoutMs=60000";

    private async Task<(EngineHost Host, GenServerHttp Http)> StartAsync()
    {
        var host = await engine.HostForAsync(this);
        return (host, new GenServerHttp(host.Registry, host.Client));
    }

    [Fact]
    public async Task Cast_SameKeyFiveTimesInSequence_ChangesStateOnce()
    {
        var (host, http) = await StartAsync();
        var id = new EntityInstanceId("counter", "once-seq");
        var modified = DateTimeOffset.MinValue;
        var answers = new List<HttpAnswer>();

        // Each cast is sent once the one before has been processed (the entity's last-modified time moved on).
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await http.CastAsync("counter", "once-seq", "increment", "3", idempotencyKey: "order-1"));
            var before = modified;
            var entity = await Eventually.WaitForAsync(
                () => host.Client.Entities.GetEntityAsync(id, includeState: true), e => e is not null && e.LastModifiedTime > before,
                $"cast {i + 1} to be processed");
            modified = entity!.LastModifiedTime;
        }

        var state = await http.StateAsync("counter", "once-seq");

        Assert.All(answers, a => Assert.Equal(202, a.Status));
        Assert.Equal(3, state!.Value.GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task Cast_TwentyConcurrentDuplicates_ChangeStateOnce()
    {
        var (_, http) = await StartAsync();
        var clock = Stopwatch.StartNew();

        var answers = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => http.CastAsync("counter", "once-burst", "increment", "1", idempotencyKey: "burst-1")));
        // A marker sent after all twenty were queued: once it is applied, the duplicates ahead of it have been handled.
        await http.CastAsync("counter", "once-burst", "increment", "1000", idempotencyKey: "marker");
        var state = await Eventually.WaitForAsync(
            () => http.StateAsync("counter", "once-burst"), s => s?.GetProperty("value").GetInt64() >= 1000, "the marker cast");

        output.WriteLine($"20 duplicate casts and a marker applied after {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.All(answers, a => Assert.Equal(202, a.Status));
        Assert.Equal(1001, state!.Value.GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task Call_TwentyConcurrentDuplicates_ChangeStateOnceAndAllGetTheFirstReply()
    {
        var (_, http) = await StartAsync();
        var clock = Stopwatch.StartNew();

        // Every call waits for its reply, so when all have answered, all twenty have been processed.
        var answers = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => http.CallAsync("tally", "once-calls", "add", "5", NoWait, idempotencyKey: "add-1")));
        var total = await http.CallAsync("tally", "once-calls", "add", "1", NoWait);

        output.WriteLine($"20 duplicate calls answered after {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.All(answers, a => Assert.Equal(5, a.Body.GetProperty("result").GetInt64()));
        Assert.Equal(6, total.Body.GetProperty("result").GetInt64());
    }

    [Fact]
    public async Task Call_RepeatedAfterStateMoved_RepliesTheFirstReplyAndRunsNothing()
    {
        var (_, http) = await StartAsync();

        var first = await http.CallAsync("tally", "once-repeat", "add", "5", NoWait, idempotencyKey: "pay-1");
        var other = await http.CallAsync("tally", "once-repeat", "add", "10", NoWait);
        var repeat = await http.CallAsync("tally", "once-repeat", "add", "5", NoWait, idempotencyKey: "pay-1");
        var state = await http.StateAsync("tally", "once-repeat");

        Assert.Equal((200, 5L), (first.Status, first.Body.GetProperty("result").GetInt64()));
        Assert.Equal(15, other.Body.GetProperty("result").GetInt64());
        Assert.Equal(first.Body.GetRawText(), repeat.Body.GetRawText());
        Assert.Equal(15, state!.Value.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Call_KeyReusedWithAnotherInput_Returns422AndRunsNothing()
    {
        var (_, http) = await StartAsync();

        await http.CallAsync("tally", "once-reuse", "add", "5", NoWait, idempotencyKey: "k");
        var reused = await http.CallAsync("tally", "once-reuse", "add", "6", NoWait, idempotencyKey: "k");
        var state = await http.StateAsync("tally", "once-reuse");

        Assert.Equal(422, reused.Status);
        Assert.EndsWith(":idempotency-key-reused", reused.Body.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(5, state!.Value.GetProperty("total").GetInt64());
    }

    // The window at load. 20,000 keys run in the engine benchmark (--idempotency); this CI-sized run sends 3,000, over
    // twenty times the 128 full records, so almost every repeat is recognised by its hash alone.
    [Fact]
    public async Task Cast_3000KeysAtFullRate_EveryRepeatWithinTheWindowIsRecognised()
    {
        const int Keys = 3_000;
        var (host, http) = await StartAsync();
        var clock = Stopwatch.StartNew();

        await SendAsync(Enumerable.Range(0, Keys), i => http.CastAsync("counter", "once-load", "increment", "1", idempotencyKey: $"load-{i}"));
        var sent = clock.Elapsed;
        await Eventually.WaitForAsync(() => http.StateAsync("counter", "once-load"), s => s?.GetProperty("value").GetInt64() >= Keys,
            "every keyed cast", TimeSpan.FromMinutes(3));
        var applied = clock.Elapsed;

        // Every third key again, then a marker: once it is applied, the repeats queued ahead of it have been handled.
        await SendAsync(Enumerable.Range(0, Keys).Where(i => i % 3 == 0),
            i => http.CastAsync("counter", "once-load", "increment", "1", idempotencyKey: $"load-{i}"));
        await http.CastAsync("counter", "once-load", "increment", "1000000", idempotencyKey: "load-marker");
        var state = await Eventually.WaitForAsync(() => http.StateAsync("counter", "once-load"),
            s => s?.GetProperty("value").GetInt64() >= 1_000_000, "the marker cast", TimeSpan.FromMinutes(3));
        var stored = await host.Client.Entities.GetEntityAsync(new EntityInstanceId("counter", "once-load"), includeState: true);

        output.WriteLine($"{Keys} keyed casts sent in {sent.TotalSeconds:0.0} s ({Keys / sent.TotalSeconds:0} casts/s), " +
            $"applied after {applied.TotalSeconds:0.0} s; {Keys / 3} repeats and a marker after {clock.Elapsed.TotalSeconds:0.0} s; " +
            $"stored state {stored!.State.Value!.Length} characters");
        Assert.Equal(1_000_000 + Keys, state!.Value.GetProperty("value").GetInt64());
        Assert.Equal(Keys + 1, StoredKeyHashes(stored.State.Value!));
    }

    [Fact]
    public async Task Call_KeyWhoseFullRecordWasPushedOut_Returns410AndRunsNothing()
    {
        var (_, http) = await StartAsync();

        var first = await http.CallAsync("tally", "once-old", "add", "5", NoWait, idempotencyKey: "first");
        await SendAsync(Enumerable.Range(0, OnceLedger.MaxEntries),
            i => http.CallAsync("tally", "once-old", "add", "1", NoWait, idempotencyKey: $"next-{i}"), parallelism: 8);
        var repeat = await http.CallAsync("tally", "once-old", "add", "5", NoWait, idempotencyKey: "first");
        var state = await http.StateAsync("tally", "once-old");

        Assert.Equal(200, first.Status);
        Assert.Equal(410, repeat.Status);
        Assert.EndsWith(":already-applied", repeat.Body.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Equal(5 + OnceLedger.MaxEntries, state!.Value.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Get_AfterIdempotentCast_ShowsTheStateWithoutTheLedgerThatIsStored()
    {
        var (host, http) = await StartAsync();

        await http.CastAsync("counter", "once-get", "increment", "2", idempotencyKey: "g");
        var state = await Eventually.WaitForAsync(() => http.StateAsync("counter", "once-get"), s => s is not null, "the counter's state");
        var stored = await host.Client.Entities.GetEntityAsync(new EntityInstanceId("counter", "once-get"), includeState: true);

        Assert.Equal("""{"value":2}""", state!.Value.GetRawText());
        using var raw = JsonDocument.Parse(stored!.State.Value!);
        var entry = Assert.Single(raw.RootElement.GetProperty("once").EnumerateArray());
        Assert.Equal("g", entry.GetProperty("key").GetString());
        Assert.Equal(1, StoredKeyHashes(stored.State.Value!));
    }

    // How many key hashes the stored envelope keeps in its "seen" member (8 bytes each, base64url).
    private static int StoredKeyHashes(string stored)
    {
        using var raw = JsonDocument.Parse(stored);
        return raw.RootElement.GetProperty("seen").EnumerateArray()
            .Sum(slice => Base64Url.DecodeFromChars(slice.GetProperty("keys").GetString()!).Length / sizeof(ulong));
    }

    private static async Task SendAsync(IEnumerable<int> items, Func<int, Task<HttpAnswer>> send, int parallelism = 16)
    {
        var answers = new System.Collections.Concurrent.ConcurrentBag<HttpAnswer>();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            async (i, _) => answers.Add(await send(i)));
        Assert.All(answers, a => Assert.InRange(a.Status, 200, 202));
    }
}
