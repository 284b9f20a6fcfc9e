using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Tests.Support;
using ServerlessGenServer.Entities.Ticking;

namespace ServerlessGenServer.Entities.Tests.GenServers;

/// <summary>[ReadOnly] calls: the operation table, the answer from a copy of the saved state, and the promise enforced.</summary>
public sealed class ReadOnlyTests : IDisposable
{
    private static readonly EntityInstanceId Id = new("gauge", "g1");
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData(typeof(Counter), "value", true)]
    [InlineData(typeof(Counter), "increment", false)]
    [InlineData(typeof(Ticker), "status", true)]
    [InlineData(typeof(Cache), "stats", true)]
    [InlineData(typeof(Cache), "peek", true)]
    [InlineData(typeof(Cache), "get", false)]
    public void Operations_SeedServers_MarkTheirReadOnlyCalls(Type server, string operation, bool readOnly)
    {
        Assert.True(GenServerOperations.For(server).TryGet(operation, out var found));

        Assert.Equal(readOnly, found.IsReadOnly);
    }

    [Theory]
    [InlineData(typeof(ReadOnlyCast))]
    [InlineData(typeof(ReadOnlyInfo))]
    public void Operations_ReadOnlyOnACastOrHandleInfo_IsRefused(Type server)
    {
        var error = Assert.Throws<InvalidOperationException>(() => GenServerOperations.For(server));

        Assert.Contains("[ReadOnly]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_NoSavedState_AnswersFromInitAndSavesNothing()
    {
        Assert.Equal(Gauge.InitialLevel, await Answer("level", persisted: null));
    }

    [Fact]
    public async Task Answer_SavedState_AnswersFromItWithTheInput()
    {
        var persisted = GenServerEnvelope.Persisted(new GaugeState(Level: 42), version: 2);

        Assert.Equal(42L, await Answer("level", persisted));
        Assert.Equal(45L, await Answer("levelPlus", persisted, 3L));
    }

    [Fact]
    public async Task Answer_SavedTimers_AreSeenByTheCall()
    {
        var armed = await EntityBatch.RunAsync(_services.Create<Gauge>(), Id, null, _services.Provider, new Op("arm"));

        var due = await Answer("due", armed.State);

        Assert.Equal(_services.Time.GetUtcNow().AddMinutes(1), due);
    }

    [Fact]
    public async Task Answer_OlderVersion_IsUpgradedOnTheCopy()
    {
        Assert.Equal(40L, await Answer("level", """{"$v":1,"state":{"old":4}}"""));
    }

    [Theory]
    [InlineData("""{"$v":3,"state":{"level":1}}""")]
    [InlineData("""{"$v":2,"state":{"level":"not a number"}}""")]
    [InlineData("""[1,2,3]""")]
    public async Task Answer_StateTheCodeRefuses_ThrowsTheStateFault(string persisted)
    {
        await Assert.ThrowsAsync<GenServerStateException>(() => Answer("level", persisted));
    }

    [Fact]
    public async Task Answer_DeclaredError_IsThrownAsIs()
    {
        var error = await Assert.ThrowsAsync<GenServerException>(() => Answer("refuse", persisted: null));

        Assert.Equal("The gauge refuses to say.", error.Message);
    }

    [Theory]
    [InlineData("countingRead", "changed the state")]
    [InlineData("nudging", "sent 'Set'")]
    [InlineData("timing", "armed timer 't'")]
    [InlineData("cancelling", "cancelled timer 't'")]
    [InlineData("quitting", "stopped the server")]
    [InlineData("signalling", "sent 'Set'")]
    public async Task Answer_OperationThatWrites_FailsLoudly(string operation, string what)
    {
        var persisted = GenServerEnvelope.Persisted(new GaugeState(Level: 42), version: 2);

        var error = await Assert.ThrowsAsync<ReadOnlyViolationException>(() => Answer(operation, persisted));

        Assert.Contains(what, error.Message, StringComparison.Ordinal);
        Assert.Contains("[ReadOnly]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answer_OperationNotReadOnly_IsRefused()
    {
        Assert.True(GenServerOperations.For(typeof(Gauge)).TryGet("set", out var set));

        await Assert.ThrowsAsync<ArgumentException>(() =>
            ReadOnlyCalls.AnswerAsync(_services.Create<Gauge>(), Id, set, null, 1L).AsTask());
    }

    [Fact]
    public async Task Entity_ReadOnlyCallThatWrites_FailsAndIsRolledBack()
    {
        var persisted = GenServerEnvelope.Persisted(new GaugeState(Level: 42), version: 2);

        var batch = await EntityBatch.RunAsync(_services.Create<Gauge>(), Id, persisted, _services.Provider,
            new Op("countingRead"), new Op("nudging"), new Op("level"));

        Assert.Equal(typeof(ReadOnlyViolationException).FullName, batch.Results[0].ErrorType);
        Assert.Equal(typeof(ReadOnlyViolationException).FullName, batch.Results[1].ErrorType);
        Assert.Equal("42", batch.Results[2].Result);
        Assert.Equal(new GaugeState(Level: 42), GenServerEnvelope.ServerState<GaugeState>(batch.State));
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task CachePeek_LeavesRecencyAndCountsAloneWhereGetTouches()
    {
        var cache = await EntityBatch.RunAsync(_services.Create<Cache>(), new EntityInstanceId("cache", "c1"), null, _services.Provider,
            new Op("put", """{"key":"a","value":1}"""), new Op("put", """{"key":"b","value":2}"""),
            new Op("put", """{"key":"t","value":3,"ttlMs":1000}"""));
        _services.Time.Advance(TimeSpan.FromSeconds(2));

        var peeked = (JsonElement?)await ReadOnlyCalls.AnswerAsync(_services.Create<Cache>(), new EntityInstanceId("cache", "c1"),
            Operation<Cache>("peek"), cache.State, "a");
        var expired = await ReadOnlyCalls.AnswerAsync(_services.Create<Cache>(), new EntityInstanceId("cache", "c1"),
            Operation<Cache>("peek"), cache.State, "t");
        var got = await EntityBatch.RunAsync(_services.Create<Cache>(), new EntityInstanceId("cache", "c1"), cache.State, _services.Provider,
            new Op("get", "\"a\""));

        Assert.Equal(1, peeked!.Value.GetInt32());
        Assert.Null(expired);
        Assert.Equal(["a", "b", "t"], GenServerEnvelope.ServerState<CacheState>(cache.State)!.Entries.Select(e => e.Key));
        var afterGet = GenServerEnvelope.ServerState<CacheState>(got.State)!;
        Assert.Equal(["b", "t", "a"], afterGet.Entries.Select(e => e.Key));
        Assert.Equal(1, afterGet.Hits);
    }

    private static GenServerOperation Operation<T>(string name) =>
        GenServerOperations.For(typeof(T)).TryGet(name, out var operation) ? operation : throw new InvalidOperationException(name);

    private async Task<object?> Answer(string operation, string? persisted, object? input = null) =>
        await ReadOnlyCalls.AnswerAsync(_services.Create<Gauge>(), Id, Operation<Gauge>(operation), persisted, input);

    private sealed class ReadOnlyCast(TimeProvider time, ILogger<ReadOnlyCast> logger) : GenServer<GaugeState>(time, logger)
    {
        [ReadOnly]
        public void Touch()
        {
        }

        protected override GaugeState Init() => new();
    }

    private sealed class ReadOnlyInfo(TimeProvider time, ILogger<ReadOnlyInfo> logger) : GenServer<GaugeState>(time, logger)
    {
        [ReadOnly]
        [HandleInfo]
        public long Tick() => 1;

        protected override GaugeState Init() => new();
    }
}
