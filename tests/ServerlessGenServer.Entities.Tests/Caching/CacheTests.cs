using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.Caching;

public sealed class CacheTests : IDisposable
{
    private static readonly EntityInstanceId Id = new("cache", "c1");
    private TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Get_AfterPut_ReturnsTheValueAndCountsAHit()
    {
        var batch = await Run(null, Put("user:1", """{"name":"Ada","tags":[1,2]}"""), new Op("get", "\"user:1\""), new Op("stats"));

        Assert.Equal("""{"name":"Ada","tags":[1,2]}""", batch.Results[1].Result);
        var stats = Read<CacheStats>(batch.Results[2].Result);
        Assert.Equal((1, 1L, 0L), (stats.Entries, stats.Hits, stats.Misses));
    }

    [Fact]
    public async Task Get_Missing_ReturnsNullAndCountsAMiss()
    {
        var batch = await Run(null, new Op("get", "\"nope\""), new Op("stats"));

        Assert.Null(batch.Results[0].Result);
        Assert.Equal(1, Read<CacheStats>(batch.Results[1].Result).Misses);
    }

    [Fact]
    public async Task Put_SameKey_ReplacesTheValue()
    {
        var batch = await Run(null, Put("k", "1"), Put("k", "2"), new Op("get", "\"k\""), new Op("stats"));

        Assert.Equal("2", batch.Results[2].Result);
        Assert.Equal(1, Read<CacheStats>(batch.Results[3].Result).Entries);
    }

    [Fact]
    public async Task Get_ExpiredBeforeCleanupRan_ReturnsNull()
    {
        var put = await Run(null, Put("k", "\"v\"", ttlMs: 1000));
        _services.Time.Advance(TimeSpan.FromMilliseconds(999));
        var before = await Run(put.State, new Op("get", "\"k\""));
        _services.Time.Advance(TimeSpan.FromMilliseconds(1));

        var after = await Run(before.State, new Op("get", "\"k\""), new Op("stats"));

        Assert.Equal("\"v\"", before.Results[0].Result);
        Assert.Null(after.Results[0].Result);
        var stats = Read<CacheStats>(after.Results[1].Result);
        Assert.Equal((0, 1L, 0), (stats.Entries, stats.Expired, stats.Bytes));
    }

    [Fact]
    public async Task Put_WithTtl_StartsOneCleanupChain()
    {
        var start = _services.Time.GetUtcNow();

        var batch = await Run(null, Put("a", "1", ttlMs: 1000), Put("b", "2", ttlMs: 5000), Put("c", "3"));

        var signal = Assert.Single(batch.Signals);
        Assert.Equal((GenServerTimer.FiringOperation, start.AddSeconds(60)), (signal.Name, signal.ScheduledTime));
        Assert.Equal(Cache.CleanupTimer, Read<TimerFiring>(signal.Input).Name);
    }

    [Fact]
    public async Task Cleanup_NoTtlEntryLeft_RemovesExpiredAndEndsTheChain()
    {
        var put = await Run(null, Put("a", "1", ttlMs: 1000), Put("b", "2", ttlMs: 5000), Put("c", "3"));
        var cleanup = Assert.Single(put.Signals);
        _services.Time.SetUtcNow(cleanup.ScheduledTime!.Value);

        var batch = await Run(put.State, AsOp(cleanup), new Op("stats"));

        Assert.Empty(batch.Signals);
        Assert.Equal(["c"], State(batch).Entries.Select(e => e.Key));
        var stats = Read<CacheStats>(batch.Results[1].Result);
        Assert.Equal((2L, false), (stats.Expired, stats.CleanupRunning));
    }

    [Fact]
    public async Task Cleanup_TtlEntriesRemain_ReArmsWithTheNextGeneration()
    {
        var put = await Run(null, Put("a", "1", ttlMs: 1000), Put("b", "2", ttlMs: 600_000));
        var cleanup = Assert.Single(put.Signals);
        _services.Time.SetUtcNow(cleanup.ScheduledTime!.Value);

        var batch = await Run(put.State, AsOp(cleanup));

        var next = Assert.Single(batch.Signals);
        Assert.Equal(cleanup.ScheduledTime.Value.AddSeconds(60), next.ScheduledTime);
        Assert.NotEqual(Read<TimerFiring>(cleanup.Input).Generation, Read<TimerFiring>(next.Input).Generation);
        Assert.Equal(["b"], State(batch).Entries.Select(e => e.Key));
    }

    [Fact]
    public async Task Cleanup_Duplicate_DoesNothing()
    {
        var put = await Run(null, Put("a", "1", ttlMs: 600_000));
        var cleanup = Assert.Single(put.Signals);
        _services.Time.SetUtcNow(cleanup.ScheduledTime!.Value);

        var batch = await Run(put.State, AsOp(cleanup), AsOp(cleanup));

        Assert.Equal(cleanup.ScheduledTime.Value.AddSeconds(60), Assert.Single(batch.Signals).ScheduledTime);
    }

    [Fact]
    public async Task Put_OverMaxEntries_EvictsTheLeastRecentlyUsed()
    {
        UseSettings(("Cache:MaxEntries", "3"));

        var batch = await Run(null, Put("a", "1"), Put("b", "2"), Put("c", "3"), new Op("get", "\"a\""), Put("d", "4"),
            new Op("get", "\"b\""), new Op("stats"));

        Assert.Null(batch.Results[5].Result);
        Assert.Equal(["c", "a", "d"], State(batch).Entries.Select(e => e.Key));
        Assert.Equal(1, Read<CacheStats>(batch.Results[6].Result).Evictions);
    }

    [Fact]
    public async Task Put_ValueOverMaxValueBytes_FailsAndKeepsTheState()
    {
        var tooLarge = JsonSerializer.Serialize(new string('x', 1023));
        var fits = JsonSerializer.Serialize(new string('x', 1022));

        var batch = await Run(null, Put("ok", fits), Put("big", tooLarge), new Op("get", "\"big\""));

        Assert.True(batch.Results[0].Ok);
        Assert.False(batch.Results[1].Ok);
        Assert.Equal(typeof(ValidationException).FullName, batch.Results[1].ErrorType);
        Assert.Contains("1025 bytes", batch.Results[1].ErrorMessage, StringComparison.Ordinal);
        Assert.Null(batch.Results[2].Result);
        Assert.Contains(_services.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("'big'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Put_FullCacheWithDefaults_StoredStateStaysUnderTheInlineTableLimit()
    {
        // Worst cases for the stored size: long keys and values full of characters that are escaped twice.
        var batch = await Run(null, new Op("stats"));
        for (var round = 0; round < 40; round++)
        {
            var puts = Enumerable.Range(0, 25).Select(i => Put(
                Key(round, i),
                JsonSerializer.Serialize(i % 2 == 0 ? new string('"', 80) + new string('é', 60) : "\\\\ <&> " + round)));
            batch = await Run(batch.State, [.. puts]);
            Assert.All(batch.Results, r => Assert.True(r.Ok, r.ErrorMessage));
        }

        var state = State(batch);
        var stored = StoredLength(batch.State!);
        using var json = JsonDocument.Parse(batch.State!);
        var entries = json.RootElement.GetProperty("state").GetProperty("entries").GetRawText();

        Assert.True(state.Evictions > 0);
        Assert.InRange(state.Bytes, 28_672 - 3_000, 28_672);
        Assert.Equal(StoredLength(entries), state.Bytes + 1);
        Assert.All(batch.State!, c => Assert.True(c < 128));
        Assert.InRange(stored, 0, 28_672 + 512);
        Assert.True(28_672 + 512 + 64 < 30_720, "the default budget plus the fixed fields and the runtime's wrapper fits inline");
    }

    [Fact]
    public async Task Init_FirstMessage_IsNotBlockedByTheWarmUpThatRunsNext()
    {
        UseSettings(("Cache:WarmUp:Entries:greeting", "hello"), ("Cache:WarmUp:Entries:lang", "en"));

        var first = await Run(null, new Op("get", "\"greeting\""), Put("greeting", "\"mine\""), new Op("stats"));
        var warmUp = Assert.Single(first.Signals);
        var second = await Run(first.State, AsOp(warmUp), new Op("get", "\"greeting\""), new Op("get", "\"lang\""), new Op("stats"));

        Assert.Null(first.Results[0].Result);
        Assert.False(Read<CacheStats>(first.Results[2].Result).WarmedUp);
        Assert.Equal(("@cache@c1", "WarmUp", (DateTimeOffset?)null), (warmUp.InstanceId, warmUp.Name, warmUp.ScheduledTime));
        Assert.Equal("\"mine\"", second.Results[1].Result);
        Assert.Equal("\"en\"", second.Results[2].Result);
        Assert.True(Read<CacheStats>(second.Results[3].Result).WarmedUp);
        Assert.Empty(second.Signals);
    }

    [Fact]
    public async Task WarmUp_DeliveredAgain_DoesNotReloadDeletedEntries()
    {
        UseSettings(("Cache:WarmUp:Entries:lang", "en"));
        var first = await Run(null, new Op("stats"));
        var warmUp = AsOp(Assert.Single(first.Signals));

        var batch = await Run(first.State, warmUp, new Op("delete", "\"lang\""), warmUp, new Op("get", "\"lang\""));

        Assert.Null(batch.Results[3].Result);
    }

    [Fact]
    public async Task Init_NoWarmUpConfigured_SchedulesNothing()
    {
        var batch = await Run(null, new Op("stats"));

        Assert.Empty(batch.Signals);
        Assert.True(Read<CacheStats>(batch.Results[0].Result).WarmedUp);
    }

    [Fact]
    public async Task Delete_Key_RemovesOnlyThatEntry()
    {
        var batch = await Run(null, Put("a", "1"), Put("b", "2"), new Op("delete", "\"a\""), new Op("stats"));

        Assert.Equal(["b"], State(batch).Entries.Select(e => e.Key));
        Assert.Equal(State(batch).Entries[0].StoredSize(), State(batch).Bytes);
    }

    [Fact]
    public async Task Delete_NoKey_DeletesTheWholeCache()
    {
        var batch = await Run(null, Put("a", "1"), new Op("delete"));

        Assert.True(batch.Results[1].Ok);
        Assert.Null(batch.State);
    }

    [Theory]
    [InlineData("""{"key":"","value":1}""", "Key")]
    [InlineData("""{"value":1}""", "Key")]
    [InlineData("""{"key":"k"}""", "Value")]
    [InlineData("""{"key":"k","value":null}""", "Value")]
    [InlineData("""{"key":"k","value":1,"ttlMs":0}""", "TtlMs")]
    [InlineData("""{"key":"k","value":1,"ttl":5}""", "ttl")]
    public void ReadInput_BadPut_ThrowsValidationException(string json, string expected)
    {
        var ex = Assert.Throws<ValidationException>(() => Operation("put").ReadInput(Encoding.UTF8.GetBytes(json)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInput_KeyOf257Characters_ThrowsValidationException()
    {
        var json = JsonSerializer.Serialize(new { key = new string('k', 257), value = 1 });

        Assert.Throws<ValidationException>(() => Operation("put").ReadInput(Encoding.UTF8.GetBytes(json)));
        Assert.Throws<ValidationException>(() => Operation("get").ReadInput(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new string('k', 257)))));
    }

    [Theory]
    [InlineData("Cache:MaxEntries", "0", "MaxEntries")]
    [InlineData("Cache:MaxValueBytes", "8000", "quarter")]
    [InlineData("Cache:MaxStateBytes", "1000", "MaxStateBytes")]
    [InlineData("Cache:CleanupIntervalSeconds", "0", "CleanupIntervalSeconds")]
    public void Options_OutOfRange_FailValidation(string setting, string value, string expected)
    {
        UseSettings((setting, value));

        var ex = Assert.Throws<OptionsValidationException>(() => _services.Provider.GetRequiredService<IOptions<CacheOptions>>().Value);

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_WarmUpKeyTooLong_FailsValidation()
    {
        UseSettings(($"Cache:WarmUp:Entries:{new string('k', 257)}", "v"));

        Assert.Throws<OptionsValidationException>(() => _services.Provider.GetRequiredService<IOptions<CacheOptions>>().Value);
    }

    [Fact]
    public async Task RunAsync_DirectWithFakes_PutsAndGets()
    {
        var entity = new FakeEntity(Id);
        var cache = _services.Create<Cache>();

        await entity.RunAsync(cache, "put", new PutRequest("k", JsonSerializer.SerializeToElement(new[] { 1, 2 })));

        var value = (JsonElement?)await entity.RunAsync(cache, "get", "k");
        Assert.Equal("[1,2]", value!.Value.GetRawText());
        Assert.Empty(entity.Context.Signals);
    }

    // The length the task hub stores: the JSON nested once more as a JSON string, so quotes and backslashes double.
    private static int StoredLength(string json) => json.Length + json.Count(c => c is '"' or '\\');

    private static string Key(int round, int i) =>
        i % 2 == 0 ? $"{round}-{i}-" + new string('ü', 250) : $"{round}-{i}-\"quoted\\key\"";

    private static Op Put(string key, string valueJson, long? ttlMs = null) =>
        new("put", $$"""{"key":{{JsonSerializer.Serialize(key)}},"value":{{valueJson}}{{(ttlMs is null ? "" : $",\"ttlMs\":{ttlMs}")}}}""");

    private static GenServerOperation Operation(string name) =>
        GenServerOperations.For(typeof(Cache)).TryGet(name, out var op) ? op : throw new KeyNotFoundException(name);

    private static Op AsOp(SentSignal signal) => new(signal.Name, signal.Input);

    private static T Read<T>(string? json) => JsonSerializer.Deserialize<T>(json!, GenServerJson.Options)!;

    private static CacheState State(BatchResult batch) => GenServerEnvelope.ServerState<CacheState>(batch.State)!;

    private void UseSettings(params (string Key, string Value)[] settings)
    {
        _services.Dispose();
        _services = new TestServices(settings: settings.ToDictionary(s => s.Key, s => (string?)s.Value));
    }

    private Task<BatchResult> Run(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Cache>(), Id, state, _services.Provider, ops);
}
