using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.GenServers;

public sealed class GenServerTests : IDisposable
{
    private static readonly EntityInstanceId Id = new("probe", "p1");
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData("noSuchMessage")]
    [InlineData("GetHashCode")]
    [InlineData("ToString")]
    [InlineData("RunAsync")]
    [InlineData("InitializeState")]
    public async Task RunAsync_UnexpectedMessage_IsLoggedAndLeavesStateAlone(string operation)
    {
        const string state = """{"inits":1,"warmUps":1,"reminders":0,"last":"kept"}""";

        var batch = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, state, _services.Provider,
            new Op(operation, "42"), new Op("note", "\"after\""));

        Assert.True(batch.Results[0].Ok);
        Assert.Null(batch.Results[0].Result);
        Assert.True(batch.Results[1].Ok);
        Assert.Equal("after", GenServerEnvelope.ServerState<ProbeState>(batch.State)!.Last);
        Assert.Contains(_services.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains($"'{operation}'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_UnexpectedMessageToNewEntity_CreatesNoState()
    {
        var batch = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, null, _services.Provider, new Op("bogus"));

        Assert.True(batch.Results[0].Ok);
        Assert.Null(batch.State);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task Init_FirstMessage_SchedulesContinueOnce()
    {
        var first = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, null, _services.Provider, new Op("note", "\"a\""), new Op("note", "\"b\""));
        var signal = Assert.Single(first.Signals);
        Assert.Equal(("@probe@p1", "WarmUp", (DateTimeOffset?)null), (signal.InstanceId, signal.Name, signal.ScheduledTime));

        var second = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, first.State, _services.Provider, new Op("warmUp"), new Op("note", "\"c\""));

        Assert.Empty(second.Signals);
        var state = GenServerEnvelope.ServerState<ProbeState>(second.State)!;
        Assert.Equal(new ProbeState(Inits: 1, WarmUps: 1, Reminders: 0, Last: "c"), state);
    }

    [Fact]
    public async Task SendAfter_Delay_SignalsItselfAtNowPlusDelay()
    {
        _services.Time.Advance(TimeSpan.FromMinutes(3));
        var start = _services.Time.GetUtcNow();

        var batch = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, """{"inits":1}""", _services.Provider, new Op("remind", "1500"));

        var signal = Assert.Single(batch.Signals);
        Assert.Equal("@probe@p1", signal.InstanceId);
        Assert.Equal("Ring", signal.Name);
        Assert.Equal("1", signal.Input);
        Assert.Equal(start.AddMilliseconds(1500), signal.ScheduledTime);
    }

    [Fact]
    public async Task RunAsync_OperationThrows_RollsBackItsStateAndSignalsOnly()
    {
        var batch = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, """{"inits":1,"last":"before"}""", _services.Provider,
            new Op("fail", "\"x\""), new Op("last"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal(typeof(InvalidOperationException).FullName, batch.Results[0].ErrorType);
        Assert.Equal("failed on x", batch.Results[0].ErrorMessage);
        Assert.Equal("\"before\"", batch.Results[1].Result);
        Assert.Empty(batch.Signals);
    }

    [Fact]
    public async Task RunAsync_InputBreaksParameterRule_FailsWithoutChangingState()
    {
        const string state = """{"inits":1,"warmUps":0,"reminders":0,"last":null}""";

        var batch = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, state, _services.Provider, new Op("remind", "0"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal(typeof(System.ComponentModel.DataAnnotations.ValidationException).FullName, batch.Results[0].ErrorType);
        Assert.Empty(batch.Signals);
        Assert.Equal(state, batch.State);
    }

    [Fact]
    public async Task Delete_ExistingState_RemovesIt()
    {
        var batch = await EntityBatch.RunAsync(_services.Create<Probe>(), Id, """{"inits":1}""", _services.Provider, new Op("delete"));

        Assert.True(batch.Results[0].Ok);
        Assert.Null(batch.State);
    }

    [Theory]
    [InlineData("remind", "1500")] // a parameter rule: validated, then run
    [InlineData("note", "\"hi\"")] // no rule: only run
    public async Task RunAsync_OperationWithInput_ReadsTheInputOnce(string name, string input)
    {
        var entity = new FakeEntity(Id);
        var operation = new CountingOperation(entity, name, input);

        await ((ITaskEntity)_services.Create<Probe>()).RunAsync(operation);

        Assert.Equal(1, operation.Reads);
    }

    [Fact]
    public async Task RunAsync_InputReadOnce_ReachesTheMethodAndItsRule()
    {
        var entity = new FakeEntity(Id);
        var start = _services.Time.GetUtcNow();

        await ((ITaskEntity)_services.Create<Probe>()).RunAsync(new CountingOperation(entity, "remind", "1500"));
        var refused = new CountingOperation(entity, "remind", "0");
        var error = await Assert.ThrowsAsync<System.ComponentModel.DataAnnotations.ValidationException>(
            () => ((ITaskEntity)_services.Create<Probe>()).RunAsync(refused).AsTask());

        await ((ITaskEntity)_services.Create<Probe>()).RunAsync(new CountingOperation(entity, "note", "\"hi\""));

        Assert.Equal("hi", entity.State.Server<ProbeState>()!.Last);
        var ring = Assert.Single(entity.Context.Signals, s => s.Operation == "Ring");
        Assert.Equal(start.AddMilliseconds(1500), ring.At);
        Assert.Equal(1, refused.Reads);
        Assert.Contains("delayMs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_DirectWithFakes_HandlesInfoAndCallMessages()
    {
        var entity = new FakeEntity(Id);
        var probe = _services.Create<Probe>();

        await entity.RunAsync(probe, "note", "hello");
        await entity.RunAsync(probe, "ring", 7);
        var last = await entity.RunAsync(probe, "last");

        Assert.Equal("hello", last);
        Assert.Equal(new ProbeState(1, 0, 7, "hello"), entity.State.Server<ProbeState>());
        Assert.Equal("WarmUp", Assert.Single(entity.Context.Signals).Operation);
    }
}

/// <summary>An operation that counts how often its input is deserialized.</summary>
internal sealed class CountingOperation(FakeEntity owner, string name, string input) : TaskEntityOperation
{
    public int Reads { get; private set; }

    public override string Name => name;

    public override TaskEntityContext Context => owner.Context;

    public override TaskEntityState State => owner.State;

    public override bool HasInput => true;

    public override object? GetInput(Type inputType)
    {
        Reads++;
        return JsonSerializer.Deserialize(input, inputType, GenServerJson.Options);
    }
}
