using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Entities.Tests.Calls;

public sealed class CallOrchestratorTests
{
    private static readonly EntityInstanceId Id = new("counter", "c1");
    private readonly Mock<TaskOrchestrationContext> _context = new(MockBehavior.Strict);
    private readonly Mock<TaskOrchestrationEntityFeature> _entities = new(MockBehavior.Strict);

    public CallOrchestratorTests() => _context.SetupGet(c => c.Entities).Returns(_entities.Object);

    [Fact]
    public async Task RunAsync_WithIdempotencyKey_CallsOnceWithTheEnvelope()
    {
        var input = JsonSerializer.SerializeToElement(5);
        var sent = ExpectCall(OnceMessage.OperationName, JsonSerializer.SerializeToElement(9));

        var outcome = await RunOneAsync(new CallRequest("counter", "c1", "Increment", input, "k1", 60_000));

        var message = Assert.IsType<OnceMessage>(sent());
        Assert.Equal(("k1", "Increment", "5", 60_000L), (message.Key, message.Operation, message.Input?.GetRawText(), message.WindowMs));
        Assert.Equal(9, outcome.Reply!.Value.GetInt32());
    }

    [Fact]
    public async Task RunAsync_KeyWithoutWindow_UsesTheDefaultWindow()
    {
        var sent = ExpectCall(OnceMessage.OperationName, null);

        await RunOneAsync(new CallRequest("counter", "c1", "Value", IdempotencyKey: "k1"));

        Assert.Equal(30 * 60_000, Assert.IsType<OnceMessage>(sent()).WindowMs);
    }

    [Fact]
    public async Task RunAsync_WithoutKey_CallsTheOperationItself()
    {
        var input = JsonSerializer.SerializeToElement(2);
        var sent = ExpectCall("Increment", null);

        var outcome = await RunOneAsync(new CallRequest("counter", "c1", "Increment", input));

        Assert.Equal("2", Assert.IsType<JsonElement>(sent()).GetRawText());
        Assert.True(outcome.Ok);
    }

    [Fact]
    public async Task RunAsync_Batch_EachCallGetsItsOwnReplyOrError()
    {
        var slow = new TaskCompletionSource<JsonElement?>();
        _entities.Setup(e => e.CallEntityAsync<JsonElement?>(new EntityInstanceId("counter", "a"), "Value", null, null)).Returns(slow.Task);
        _entities.Setup(e => e.CallEntityAsync<JsonElement?>(new EntityInstanceId("counter", "b"), "Value", null, null))
            .ReturnsAsync(JsonSerializer.SerializeToElement(2));
        _entities.Setup(e => e.CallEntityAsync<JsonElement?>(new EntityInstanceId("counter", "c"), "Increment", null, null))
            .ThrowsAsync(new EntityOperationFailedException(new EntityInstanceId("counter", "c"), "Increment",
                new TaskFailureDetails("System.OverflowException", "too big", null, null, null)));
        CallOutcome?[]? progress = null;
        _context.Setup(c => c.SetCustomStatus(It.IsAny<object?>())).Callback<object?>(s => progress = [.. (CallOutcome?[])s!]);

        var run = new CallOrchestrator().RunAsync(_context.Object, new CallBatch(
            [new("counter", "a", "Value"), new("counter", "b", "Value"), new("counter", "c", "Increment")]));
        // While "a" has not replied, the others' outcomes are already the custom status.
        Assert.False(run.IsCompleted);
        Assert.Equal([null, true, false], progress!.Select(o => o?.Ok));
        slow.SetResult(JsonSerializer.SerializeToElement(1));
        var outcomes = await run;

        Assert.Equal([1, 2], outcomes.Take(2).Select(o => o.Reply!.Value.GetInt32()));
        Assert.Equal(("System.OverflowException", "too big"), (outcomes[2].ErrorType, outcomes[2].Error));
    }

    private async Task<CallOutcome> RunOneAsync(CallRequest request) =>
        Assert.Single(await new CallOrchestrator().RunAsync(_context.Object, new CallBatch([request])));

    private Func<object?> ExpectCall(string operation, JsonElement? reply)
    {
        object? sent = null;
        _entities.Setup(e => e.CallEntityAsync<JsonElement?>(Id, operation, It.IsAny<object?>(), null))
            .Callback<EntityInstanceId, string, object?, CallEntityOptions?>((_, _, input, _) => sent = input)
            .ReturnsAsync(reply);
        return () => sent;
    }
}
