using System.Buffers.Binary;
using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Entities.Tests.Support;
using Xunit.Abstractions;

namespace ServerlessGenServer.Entities.Tests.GenServers;

/// <summary>The <c>$once</c> message through the isolated worker's real entity path (GrpcEntityRunner batches) on a fake clock.</summary>
public sealed class IdempotencyTests(ITestOutputHelper output) : IDisposable
{
    private const long Window = 30 * 60_000;
    private static readonly EntityInstanceId CounterId = new("counter", "c1");
    private static readonly EntityInstanceId ProbeId = new("probe", "p1");
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Once_SameCastFiveTimesInOneBatch_AppliesItOnce()
    {
        var batch = await Counter(null, [.. Enumerable.Repeat(Once("k1", "increment", "5"), 5), new Op("value")]);

        Assert.All(batch.Results, r => Assert.True(r.Ok));
        Assert.All(batch.Results.Take(5), r => Assert.Null(r.Result));
        Assert.Equal("5", batch.Results[5].Result);
    }

    [Fact]
    public async Task Once_SameCastInFiveBatches_AppliesItOnce()
    {
        string? state = null;
        for (var i = 0; i < 5; i++)
        {
            state = (await Counter(state, Once("k1", "increment", "5"))).State;
            _services.Time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(5, Value(state));
    }

    [Fact]
    public async Task Once_DifferentKeys_AppliesEach()
    {
        var batch = await Counter(null, Once("a", "increment", "1"), Once("b", "increment", "10"), Once("A", "increment", "100"));

        Assert.Equal(111, Value(batch.State));
    }

    [Fact]
    public async Task Once_RepeatedCallAfterStateMoved_RepliesTheFirstReply()
    {
        var first = await Counter("""{"value":7}""", Once("read-1", "value"), new Op("increment", "3"));
        var again = await Counter(first.State, Once("read-1", "value"), new Op("value"));

        Assert.Equal("7", first.Results[0].Result);
        Assert.Equal("7", again.Results[0].Result);
        Assert.Equal("10", again.Results[1].Result);
    }

    [Fact]
    public async Task Once_CallReplyingAnObject_RepeatsTheSameJson()
    {
        var first = await Probe(null, new Op("note", "\"hi\""), Once("p", "last"));
        var again = await Probe(first.State, new Op("note", "\"changed\""), Once("p", "last"));

        Assert.Equal("\"hi\"", first.Results[1].Result);
        Assert.Equal(first.Results[1].Result, again.Results[1].Result);
    }

    // A key is remembered for at least its window and at most a 32nd longer (at least 1 s): by 60 s + 1,875 ms here.
    [Theory]
    [InlineData(59_999, 1)]
    [InlineData(61_875, 2)]
    public async Task Once_AfterItsWindow_RunsAgain(long elapsedMs, long expected)
    {
        var first = await Counter(null, Once("k1", "increment", windowMs: 60_000));
        _services.Time.Advance(TimeSpan.FromMilliseconds(elapsedMs));

        var again = await Counter(first.State, Once("k1", "increment", windowMs: 60_000));

        Assert.Equal(expected, Value(again.State));
    }

    [Fact]
    public async Task Once_129Keys_PushesTheOldestFullRecordOutButStillKnowsItsKey()
    {
        var keys = Enumerable.Range(0, 129).Select(i => Once($"k{i}", "increment")).ToArray();
        var filled = await Counter(null, keys);

        // k0's full record was pushed out; its key is still among the seen keys, so nothing runs again.
        var repeated = await Counter(filled.State, Once("k1", "increment"), Once("k128", "increment"), Once("k0", "increment"));

        Assert.Equal(129, Value(filled.State));
        Assert.Equal(OnceLedger.MaxEntries, Ledger(filled.State).GetArrayLength());
        Assert.Equal("k1", Ledger(filled.State)[0].GetProperty("key").GetString());
        Assert.All(repeated.Results, r => Assert.True(r.Ok));
        Assert.Equal(129, Value(repeated.State));
    }

    [Fact]
    public async Task Once_20000KeysAt20PerSecond_EveryRepeatWithinTheWindowIsRecognised()
    {
        // 20,000 keys in 1,000 s: past the full records' 128 and within the 30-minute window, so every key is in the seen set.
        string? state = null;
        for (var batch = 0; batch < 20; batch++)
        {
            var ops = Enumerable.Range(batch * 1_000, 1_000).Select(i => Once($"key-{i}", "increment")).ToArray();
            state = (await Counter(state, ops)).State;
            _services.Time.Advance(TimeSpan.FromSeconds(50));
        }

        var repeats = Enumerable.Range(0, 20_000).Where(i => i % 7 == 0).Select(i => Once($"key-{i}", "increment")).ToArray();
        var repeated = await Counter(state, [.. repeats, Once("key-new", "increment")]);

        output.WriteLine($"State with 20,000 keys in the window: {state!.Length} characters");
        Assert.Equal(20_000, Value(state));
        Assert.All(repeated.Results, r => Assert.True(r.Ok));
        Assert.Equal(20_001, Value(repeated.State));
        Assert.InRange(state.Length, 20_000 * 8 * 4 / 3, 240_000);
    }

    [Fact]
    public async Task Once_CallWhoseFullRecordWasPushedOut_FailsAsAlreadyAppliedWithoutRunning()
    {
        var first = await Probe(null, new Op("note", "\"hi\""), Once("old-call", "last"));
        var pushed = await Probe(first.State, [.. Enumerable.Range(0, OnceLedger.MaxEntries).Select(i => Once($"k{i}", "note", "\"x\""))]);

        var again = await Probe(pushed.State, Once("old-call", "last"), Once("old-call", "note", "\"other\""));

        Assert.Equal("\"hi\"", first.Results[1].Result);
        Assert.False(again.Results[0].Ok);
        Assert.Equal(typeof(AlreadyAppliedException).FullName, again.Results[0].ErrorType);

        // A cast under a key known only by its hash cannot be told from a retry: it is taken as one, and nothing runs.
        Assert.True(again.Results[1].Ok);
        Assert.Equal(pushed.State, again.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Once_LedgerWrittenBeforeSeenKeys_ItsKeysAreStillKnownAfterThePushOut(bool versionZero)
    {
        // What the code before the seen set wrote: 128 full records, as an envelope ("once") or as version 0 ("$once").
        var at = _services.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var records = string.Join(",", Enumerable.Range(0, OnceLedger.MaxEntries).Select(i =>
            $$"""{"key":"old-{{i}}","at":{{at}},"exp":{{at + Window}},"fp":"{{OnceLedger.Fingerprint(new OnceMessage($"old-{i}", "increment", null, Window))}}"}"""));
        var stored = versionZero ? $$"""{"value":128,"$once":[{{records}}]}""" : $$"""{"$v":1,"state":{"value":128},"once":[{{records}}]}""";

        var pushed = await Counter(stored, [.. Enumerable.Range(0, OnceLedger.MaxEntries).Select(i => Once($"new-{i}", "increment"))]);
        var repeated = await Counter(pushed.State, [.. Enumerable.Range(0, OnceLedger.MaxEntries).Select(i => Once($"old-{i}", "increment"))]);

        Assert.Equal(256, Value(pushed.State));
        Assert.DoesNotContain("old-", Ledger(pushed.State).GetRawText(), StringComparison.Ordinal);
        Assert.Equal(256, Value(repeated.State));
    }

    [Fact]
    public async Task Operation_WithoutAKeyOnAServerWithManyKeys_KeepsTheSeenKeysAsStored()
    {
        var filled = await Counter(null, [.. Enumerable.Range(0, 5_000).Select(i => Once($"key-{i}", "increment"))]);

        var next = await Counter(filled.State, new Op("increment"), new Op("reset"), new Op("increment", "3"));

        Assert.Equal(3, Value(next.State));
        Assert.Equal(Seen(filled.State).GetRawText(), Seen(next.State).GetRawText());
        Assert.Equal(5_000 * 8, Seen(next.State).EnumerateArray().Sum(s => Base64Url.DecodeFromChars(s.GetProperty("keys").GetString()!).Length));
    }

    [Fact]
    public async Task Once_ExpiredEntries_AreDroppedWhenTheLedgerIsWritten()
    {
        var first = await Counter(null, Once("short", "increment", windowMs: 1_000), Once("long", "increment"));
        _services.Time.Advance(TimeSpan.FromSeconds(2));

        var next = await Counter(first.State, Once("new", "increment"));

        Assert.Equal(["long", "new"], Ledger(next.State).EnumerateArray().Select(e => e.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Once_ReplyOver8KiB_RepeatFailsAsAlreadyAppliedWithoutRunning()
    {
        var first = await Probe(null, Once("big", "pad", "9000"));
        var again = await Probe(first.State, Once("big", "pad", "9000"));

        Assert.True(first.Results[0].Ok);
        Assert.Equal(9002, first.Results[0].Result!.Length);
        var entry = Ledger(first.State)[0];
        Assert.True(entry.GetProperty("dropped").GetBoolean());
        Assert.False(entry.TryGetProperty("reply", out _));
        Assert.False(again.Results[0].Ok);
        Assert.Equal(typeof(AlreadyAppliedException).FullName, again.Results[0].ErrorType);
        Assert.Contains(_services.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("did not keep the reply", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Once_ReplyOfExactly8KiB_IsKept()
    {
        // A string of n characters is n + 2 characters of JSON.
        var first = await Probe(null, Once("edge", "pad", (OnceLedger.MaxReplyChars - 2).ToString(CultureInfo.InvariantCulture)));
        var again = await Probe(first.State, Once("edge", "pad", (OnceLedger.MaxReplyChars - 2).ToString(CultureInfo.InvariantCulture)));

        Assert.True(again.Results[0].Ok);
        Assert.Equal(first.Results[0].Result, again.Results[0].Result);
    }

    [Fact]
    public async Task Once_RepliesOverTheLedgerBudget_DropTheOldestRepliesButKeepTheirKeys()
    {
        var replies = await Probe(null, Once("r1", "pad", "7000"), Once("r2", "pad", "7000"), Once("r3", "pad", "7000"));

        var again = await Probe(replies.State, Once("r1", "pad", "7000"), Once("r3", "pad", "7000"));

        Assert.Equal([true, false, false], Ledger(replies.State).EnumerateArray().Select(e => e.TryGetProperty("dropped", out _)));
        Assert.Equal(typeof(AlreadyAppliedException).FullName, again.Results[0].ErrorType);
        Assert.Equal(replies.Results[2].Result, again.Results[1].Result);
    }

    [Fact]
    public async Task Once_OperationThrows_IsNotRecordedSoARetryRunsIt()
    {
        var max = long.MaxValue.ToString(CultureInfo.InvariantCulture);

        var failed = await Counter($$"""{"value":{{max}}}""", Once("k1", "increment"), new Op("reset"), Once("k1", "increment"));

        Assert.False(failed.Results[0].Ok);
        Assert.Equal(typeof(GenServerException).FullName, failed.Results[0].ErrorType);
        Assert.True(failed.Results[2].Ok);
        Assert.Equal(1, Value(failed.State));
    }

    [Fact]
    public async Task Once_OperationThrows_RollsBackItsSignalsAndState()
    {
        var batch = await Probe("""{"inits":1,"last":"before"}""", Once("f", "fail", "\"x\""), new Op("last"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal("failed on x", batch.Results[0].ErrorMessage);
        Assert.Equal("\"before\"", batch.Results[1].Result);
        Assert.Empty(batch.Signals);
        Assert.DoesNotContain("\"once\"", batch.State, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reset_ReplacesTheWholeState_KeepsTheLedger()
    {
        var batch = await Counter(null, Once("k1", "increment", "4"), new Op("reset"), Once("k1", "increment", "4"), new Op("value"));

        Assert.Equal("0", batch.Results[3].Result);
        Assert.Equal("k1", Ledger(batch.State)[0].GetProperty("key").GetString());
    }

    [Fact]
    public async Task Reset_InALaterBatch_KeepsTheLedger()
    {
        var first = await Counter(null, Once("k1", "increment", "4"));
        var reset = await Counter(first.State, new Op("reset"));

        var again = await Counter(reset.State, Once("k1", "increment", "4"));

        Assert.Equal(1, Ledger(reset.State).GetArrayLength());
        Assert.Equal(0, Value(again.State));
    }

    [Fact]
    public async Task Delete_StopsTheServer_TakesTheLedgerWithIt()
    {
        var first = await Counter(null, Once("k1", "increment", "4"), new Op("delete"));

        var again = await Counter(first.State, Once("k1", "increment", "4"));

        Assert.Null(first.State);
        Assert.Equal(4, Value(again.State));
    }

    [Fact]
    public async Task State_WithoutOnceMessages_SerializesWithoutTheLedger()
    {
        var batch = await Counter(null, new Op("increment", "41"), new Op("increment"), new Op("reset"), new Op("increment", "43"));

        Assert.Equal("""{"$v":1,"state":{"value":43}}""", batch.State);
    }

    [Fact]
    public async Task Once_Recorded_WritesTheLedgerBesideTheStateInTheEnvelope()
    {
        var at = _services.Time.GetUtcNow().ToUnixTimeMilliseconds();

        var batch = await Counter(null, Once("k1", "increment", "2", windowMs: 60_000));

        var fingerprint = OnceLedger.Fingerprint(new OnceMessage("k1", "increment", JsonDocument.Parse("2").RootElement, 60_000));
        var hash = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(hash, SeenKeys.Hash("k1"));
        Assert.Equal(
            $$"""{"$v":1,"state":{"value":2},"once":[{"key":"k1","at":{{at}},"exp":{{at + 60_000}},"fp":"{{fingerprint}}"}],"seen":[{"exp":{{SeenKeys.ExpiryOf(at, 60_000)}},"keys":"{{Base64Url.EncodeToString(hash)}}"}]}""",
            batch.State);
        Assert.Equal(16, fingerprint.Length);
    }

    [Theory]
    [InlineData("increment", "3")]
    [InlineData("reset", null)]
    public async Task Once_SameKeyAnotherMessage_FailsAsReusedAndRunsNothing(string operation, string? input)
    {
        var batch = await Counter(null, Once("k1", "increment", "2"), Once("k1", operation, input));

        Assert.False(batch.Results[1].Ok);
        Assert.Equal(typeof(IdempotencyKeyReusedException).FullName, batch.Results[1].ErrorType);
        Assert.Equal(2, Value(batch.State));
    }

    [Fact]
    public async Task Once_OperationNameInAnotherCase_IsTheSameMessage()
    {
        var batch = await Counter(null, Once("k1", "Increment", "2"), Once("k1", "INCREMENT", "2"));

        Assert.All(batch.Results, r => Assert.True(r.Ok));
        Assert.Equal(2, Value(batch.State));
    }

    [Fact]
    public async Task Once_InputBreaksTheOperationsRule_FailsLikeWithoutAKey()
    {
        var batch = await Counter("""{"value":3}""", Once("k1", "increment", "0"), new Op("value"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal(typeof(ValidationException).FullName, batch.Results[0].ErrorType);
        Assert.Equal("3", batch.Results[1].Result);
    }

    [Theory]
    [InlineData("ring", "1")] // handle_info
    [InlineData("warmUp", null)] // handle_info
    [InlineData("delete", null)]
    [InlineData("$once", null)]
    public async Task Once_OperationNotOfferedWithAKey_Fails(string operation, string? input)
    {
        var batch = await Probe("""{"inits":1}""", Once("k1", operation, input));

        Assert.False(batch.Results[0].Ok);
        Assert.Contains("cannot be sent with an idempotency key", batch.Results[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("""{"inits":1}""", batch.State);
    }

    [Fact]
    public async Task Once_UnknownOperation_FollowsTheCatchAllAndCreatesNoState()
    {
        var batch = await Counter(null, Once("k1", "explode", "1"));

        Assert.True(batch.Results[0].Ok);
        Assert.Null(batch.Results[0].Result);
        Assert.Null(batch.State);
        Assert.Contains(_services.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'explode'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"key":"","operation":"increment","windowMs":1000}""")]
    [InlineData("""{"key":"k\u00e9","operation":"increment","windowMs":1000}""")]
    [InlineData("""{"key":"k\n","operation":"increment","windowMs":1000}""")]
    [InlineData("""{"key":"k","operation":"","windowMs":1000}""")]
    [InlineData("""{"key":"k","operation":"increment","windowMs":0}""")]
    [InlineData("""{"key":"k","operation":"increment","windowMs":86400001}""")]
    public async Task Once_BadEnvelope_FailsAndChangesNothing(string? envelope)
    {
        var batch = await Counter("""{"value":3}""", new Op(OnceMessage.OperationName, envelope), new Op("value"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal(typeof(ValidationException).FullName, batch.Results[0].ErrorType);
        Assert.Equal("3", batch.Results[1].Result);
    }

    [Fact]
    public async Task Once_LongestKeysAndFullReplyBudget_StateStaysUnder47000Characters()
    {
        // The worst case: 128 live keys of 128 characters, replies filling the kept budget.
        var ops = Enumerable.Range(0, OnceLedger.MaxEntries)
            .Select(i => Once(i.ToString("D3", CultureInfo.InvariantCulture).PadRight(OnceMessage.MaxKeyLength, '~'), "pad", "8000"))
            .ToArray();

        var batch = await Probe(null, ops);

        output.WriteLine($"Worst-case probe state with a full ledger: {batch.State!.Length} characters");
        Assert.All(batch.Results, r => Assert.True(r.Ok));
        Assert.InRange(batch.State.Length, 40_000, 47_000);
    }

    [Fact]
    public async Task RunAsync_DirectWithFakesOnce_AppliesOnceAndKeepsLedgerInTheEnvelope()
    {
        var entity = new FakeEntity(CounterId);
        var message = new OnceMessage("k1", "increment", JsonDocument.Parse("5").RootElement, Window);

        await entity.RunAsync(_services.Create<Counter>(), OnceMessage.OperationName, message);
        await entity.RunAsync(_services.Create<Counter>(), OnceMessage.OperationName, message);

        Assert.Equal(5, entity.State.Server<CounterState>()!.Value);
        Assert.Equal("k1", Assert.Single(entity.State.Envelope!.Once!).Key);
    }

    private static Op Once(string key, string operation, string? input = null, long windowMs = Window) =>
        new(OnceMessage.OperationName, JsonSerializer.Serialize(
            new OnceMessage(key, operation, input is null ? null : JsonDocument.Parse(input).RootElement, windowMs), GenServerJson.Options));

    private static long Value(string? state) => GenServerEnvelope.ServerState<CounterState>(state)!.Value;

    private static JsonElement Ledger(string? state) => JsonDocument.Parse(state!).RootElement.GetProperty("once");

    private static JsonElement Seen(string? state) => JsonDocument.Parse(state!).RootElement.GetProperty("seen");

    private Task<BatchResult> Counter(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Counter>(), CounterId, state, _services.Provider, ops);

    private Task<BatchResult> Probe(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Probe>(), ProbeId, state, _services.Provider, ops);
}
