using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Converters;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Tests.Support;

/// <summary>Strict mocks of the Durable client. Set up the long overloads: the short ones forward to them.</summary>
internal sealed class Clients
{
    public Clients()
    {
        Client.SetupGet(c => c.Entities).Returns(Entities.Object);
    }

    public Mock<DurableTaskClient> Client { get; } = new(MockBehavior.Strict, "test");

    public Mock<DurableEntityClient> Entities { get; } = new(MockBehavior.Strict, "test");

    /// <summary>A finished call orchestration whose output is <paramref name="outcome"/>.</summary>
    public static OrchestrationMetadata Completed(CallOutcome outcome) => new(nameof(CallOrchestrator), "x")
    {
        RuntimeStatus = OrchestrationRuntimeStatus.Completed,
        SerializedOutput = JsonSerializer.Serialize(new[] { outcome }, GenServerJson.Options),
        DataConverter = new JsonDataConverter(GenServerJson.Options),
    };

    /// <summary>
    /// Sets up a call: scheduling the call orchestration (a batch of one), every status poll answering <paramref name="status"/>.
    /// Returns readers for the scheduled request and the call id (the instance id the client chose, and index 0).
    /// </summary>
    public (Func<CallRequest> Scheduled, Func<string> InstanceId) ExpectCall(OrchestrationMetadata status)
    {
        CallRequest? scheduled = null;
        string? instanceId = null;
        Client.Setup(c => c.ScheduleNewOrchestrationInstanceAsync(
                new TaskName(nameof(CallOrchestrator)), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()))
            .Callback<TaskName, object?, StartOrchestrationOptions?, CancellationToken>((_, input, options, _) =>
            {
                scheduled = ((CallBatch)input!).Calls.Single();
                instanceId = options!.InstanceId;
            })
            .ReturnsAsync(() => instanceId!);
        Client.Setup(c => c.GetInstanceAsync(It.IsAny<string>(), true, It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, bool _, CancellationToken _) => new OrchestrationMetadata(status.Name, id)
            {
                RuntimeStatus = status.RuntimeStatus,
                SerializedOutput = status.SerializedOutput,
                DataConverter = status.DataConverter,
            });
        return (() => scheduled ?? throw new InvalidOperationException("Nothing was scheduled."), () => instanceId! + "-0");
    }
}
