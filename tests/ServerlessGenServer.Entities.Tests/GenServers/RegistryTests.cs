using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.GenServers;

public sealed class RegistryTests
{
    [Fact]
    public void Default_Counter_HasItsOperationsWithKinds()
    {
        Assert.True(GenServerRegistry.Default.TryGet("Counter", out var counter));

        Assert.Equal("counter", counter.Name);
        Assert.Equal(typeof(Counter), counter.EntityType);
        Assert.Equal(
            ["Increment:Cast", "Reset:Cast", "Value:Call"],
            counter.Operations.All.Select(o => $"{o.Name}:{o.Kind}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Operations_InfoMessageAndInputs_AreReadFromTheMethods()
    {
        var ops = GenServerOperations.For(typeof(Probe));

        Assert.True(ops.TryGet("RING", out var ring));
        Assert.True(ring.IsInfo);
        Assert.True(ops.TryGet("remind", out var remind));
        Assert.Equal((typeof(int), true, false), (remind.InputType, remind.InputRequired, remind.IsInfo));
        Assert.True(ops.TryGet("last", out var last));
        Assert.Equal((OperationKind.Call, (Type?)null), (last.Kind, last.InputType));
        Assert.False(ops.TryGet("GetHashCode", out _));
    }

    [Fact]
    public void Operations_OverloadedNames_AreRejected()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => GenServerOperations.For(typeof(Overloaded)));
        Assert.Contains("'Poke'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("  ", null)]
    [InlineData("7", 7L)]
    public void ReadInput_OptionalInteger_AcceptsValidJson(string json, long? expected)
    {
        var increment = Op(typeof(Counter), "increment");

        Assert.Equal(expected, (long?)increment.ReadInput(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("\"7\"", "integer")]
    [InlineData("7.5", "integer")]
    [InlineData("NaN", "integer")]
    [InlineData("{", "integer")]
    [InlineData("99999999999999999999", "integer")]
    [InlineData("0", "must be between")]
    [InlineData("-1", "must be between")]
    [InlineData("true", "integer")]
    [InlineData("null", "integer")]
    [InlineData("[1]", "integer")]
    public void ReadInput_BadIncrement_ThrowsValidationException(string json, string expected)
    {
        var increment = Op(typeof(Counter), "increment");

        var ex = Assert.Throws<ValidationException>(() => increment.ReadInput(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInput_NoInputOperationGivenBody_Throws()
    {
        var ex = Assert.Throws<ValidationException>(() => Op(typeof(Counter), "value").ReadInput("1"u8));
        Assert.Contains("takes no input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInput_RequiredInputMissing_Throws()
    {
        var ex = Assert.Throws<ValidationException>(() => Op(typeof(Probe), "remind").ReadInput(""u8));
        Assert.Contains("requires an input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInput_DeepNesting_Throws()
    {
        var json = new string('[', 40) + new string(']', 40);

        Assert.Throws<ValidationException>(() => Op(typeof(Probe), "note").ReadInput(Encoding.UTF8.GetBytes(json)));
    }

    private static GenServerOperation Op(Type server, string name) =>
        GenServerOperations.For(server).TryGet(name, out var op) ? op : throw new KeyNotFoundException(name);

    private sealed class Overloaded(TimeProvider time, ILogger logger) : GenServer<OverloadedState>(time, logger)
    {
        public void Poke() => State = State with { Count = State.Count + 1 };

        public void Poke(int by) => State = State with { Count = State.Count + by };

        protected override OverloadedState Init() => new();
    }

    private sealed record OverloadedState(int Count = 0);
}
