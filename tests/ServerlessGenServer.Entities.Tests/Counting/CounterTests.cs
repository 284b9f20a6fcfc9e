using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.Counting;

public sealed class CounterTests : IDisposable
{
    private static readonly EntityInstanceId Id = new("counter", "c1");
    private readonly TestServices _services = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Value_NewCounter_RepliesZeroAndCreatesState()
    {
        var batch = await Run(null, new Op("value"));

        Assert.Equal("0", batch.Results[0].Result);
        Assert.Equal("""{"$v":1,"state":{"value":0}}""", batch.State);
    }

    [Fact]
    public async Task Increment_DefaultAndAmount_AddsThemInOrder()
    {
        var batch = await Run(null, new Op("increment"), new Op("increment", "41"), new Op("value"), new Op("increment"), new Op("Value"));

        Assert.All(batch.Results, r => Assert.True(r.Ok));
        Assert.Equal("42", batch.Results[2].Result);
        Assert.Equal("43", batch.Results[4].Result);
        Assert.Equal("""{"$v":1,"state":{"value":43}}""", batch.State);
    }

    [Fact]
    public async Task Reset_AfterIncrements_ReturnsToZero()
    {
        var batch = await Run("""{"value":17}""", new Op("reset"), new Op("value"));

        Assert.Equal("0", batch.Results[1].Result);
    }

    [Fact]
    public async Task Increment_PastMaxValue_FailsAndKeepsTheCount()
    {
        var max = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var batch = await Run($$"""{"value":{{max}}}""", new Op("increment"), new Op("value"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal(typeof(GenServerException).FullName, batch.Results[0].ErrorType);
        Assert.Equal(max, batch.Results[1].Result);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    public async Task Increment_AmountBelowOne_FailsAndKeepsTheCount(string amount)
    {
        var batch = await Run("""{"value":3}""", new Op("increment", amount), new Op("value"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal("3", batch.Results[1].Result);
    }

    [Fact]
    public async Task Increment_StringInput_Fails()
    {
        var batch = await Run("""{"value":3}""", new Op("increment", "\"two\""), new Op("value"));

        Assert.False(batch.Results[0].Ok);
        Assert.Equal("3", batch.Results[1].Result);
    }

    [Fact]
    public async Task RunAsync_DirectWithFakes_CountsAndReplies()
    {
        var entity = new FakeEntity(Id);
        var counter = _services.Create<Counter>();

        await entity.RunAsync(counter, "increment", 5L);
        await entity.RunAsync(counter, "increment");

        Assert.Equal(6L, await entity.RunAsync(counter, "value"));
        Assert.Equal(new CounterState(6), entity.State.Server<CounterState>());
    }

    private Task<BatchResult> Run(string? state, params Op[] ops) =>
        EntityBatch.RunAsync(_services.Create<Counter>(), Id, state, _services.Provider, ops);
}
