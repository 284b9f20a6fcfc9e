using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Engine.Tests.TestServers;
using ServerlessGenServer.Entities.Calls;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The orchestration half of <see cref="Client.EngineDurableTaskClient"/>, on the real engine.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class EngineDurableTaskClientTests(EngineFixture engine)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private async Task<DurableTaskClient> ClientAsync() => (await engine.HostForAsync(this)).Client;

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_CallOrchestrator_CompletesWithInputAndOutput()
    {
        var client = await ClientAsync();
        var id = NewId("sched");
        var request = new CallBatch([new CallRequest("counter", "client-1", "value")]);

        var returned = await client.ScheduleNewOrchestrationInstanceAsync(nameof(CallOrchestrator), request, new StartOrchestrationOptions(id));
        using var wait = new CancellationTokenSource(Patience);
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);

        Assert.Equal(id, returned);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(nameof(CallOrchestrator), done.Name);
        Assert.Equal(request.Calls, done.ReadInputAs<CallBatch>()!.Calls);
        var outcome = Assert.Single(done.ReadOutputAs<CallOutcome[]>()!);
        Assert.True(outcome.Ok);
        Assert.Equal(0, outcome.Reply!.Value.GetInt64());
        Assert.InRange(done.LastUpdatedAt, done.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task GetInstanceAsync_InputsAndOutputsFlag_ReturnsThemOnlyWhenAsked()
    {
        var client = await ClientAsync();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Waiter), "in", new StartOrchestrationOptions(NewId("io")));
        using var wait = new CancellationTokenSource(Patience);
        await client.WaitForInstanceStartAsync(id, wait.Token);

        var without = await client.GetInstanceAsync(id, getInputsAndOutputs: false);
        var with = await client.GetInstanceAsync(id, getInputsAndOutputs: true);
        await client.TerminateInstanceAsync(id);

        Assert.Null(without!.SerializedInput);
        Assert.Equal("\"in\"", with!.SerializedInput);
        Assert.Equal(OrchestrationRuntimeStatus.Running, with.RuntimeStatus);
    }

    [Fact]
    public async Task GetInstanceAsync_UnknownInstance_ReturnsNull()
    {
        var client = await ClientAsync();

        Assert.Null(await client.GetInstanceAsync(NewId("nobody")));
    }

    [Fact]
    public async Task RaiseEventAsync_WaitingOrchestration_CompletesWithThePayload()
    {
        var client = await ClientAsync();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Waiter), "in", new StartOrchestrationOptions(NewId("event")));
        using var wait = new CancellationTokenSource(Patience);
        var started = await client.WaitForInstanceStartAsync(id, wait.Token);

        await client.RaiseEventAsync(id, Waiter.EventName, "out");
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Running, started.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("in:out", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task SuspendInstanceAsync_ThenResume_EventWaitsUntilResumed()
    {
        var client = await ClientAsync();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Waiter), "in", new StartOrchestrationOptions(NewId("suspend")));
        using var wait = new CancellationTokenSource(Patience);
        await client.WaitForInstanceStartAsync(id, wait.Token);

        await client.SuspendInstanceAsync(id, "pause");
        var suspended = await Eventually.WaitForAsync(
            () => client.GetInstanceAsync(id), i => i?.RuntimeStatus == OrchestrationRuntimeStatus.Suspended, "suspended");
        await client.RaiseEventAsync(id, Waiter.EventName, "out");
        var stillSuspended = await client.GetInstanceAsync(id);
        await client.ResumeInstanceAsync(id, "go on");
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, stillSuspended!.RuntimeStatus);
        Assert.Equal("in:out", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task TerminateInstanceAsync_RunningOrchestration_EndsTerminatedAndCanBePurged()
    {
        var client = await ClientAsync();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Waiter), "in", new StartOrchestrationOptions(NewId("term")));
        using var wait = new CancellationTokenSource(Patience);
        await client.WaitForInstanceStartAsync(id, wait.Token);

        await client.TerminateInstanceAsync(id, "stopped");
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);
        var purged = await client.PurgeInstanceAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("stopped", done.ReadOutputAs<string>());
        Assert.Equal(1, purged.PurgedInstanceCount);
        Assert.Null(await client.GetInstanceAsync(id));
    }

    [Fact]
    public async Task PurgeInstanceAsync_RunningInstance_ThrowsAndKeepsIt()
    {
        var client = await ClientAsync();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Waiter), "in", new StartOrchestrationOptions(NewId("busy")));
        using var wait = new CancellationTokenSource(Patience);
        await client.WaitForInstanceStartAsync(id, wait.Token);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.PurgeInstanceAsync(id));
        var kept = await client.GetInstanceAsync(id);
        await client.TerminateInstanceAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Running, kept!.RuntimeStatus);
    }

    [Fact]
    public async Task PurgeInstanceAsync_UnknownInstance_PurgesNothing()
    {
        var client = await ClientAsync();

        var result = await client.PurgeInstanceAsync(NewId("nobody"));

        Assert.Equal(0, result.PurgedInstanceCount);
    }

    [Fact]
    public async Task GetAllInstancesAsync_PrefixAndPageSize_PagesThroughEveryMatchThenPurgeAllRemovesThem()
    {
        var client = await ClientAsync();
        var prefix = NewId("many") + "-";
        var from = DateTimeOffset.UtcNow; // Other tests leave terminated instances created before this.
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await client.ScheduleNewOrchestrationInstanceAsync(nameof(Waiter), "in", new StartOrchestrationOptions(prefix + i)));
        }

        var found = new List<string>();
        var pages = 0;
        await foreach (var page in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix, PageSize = 2 }).AsPages())
        {
            Assert.True(page.Values.Count <= 2, $"a page of 2 had {page.Values.Count}");
            found.AddRange(page.Values.Select(v => v.InstanceId));
            pages++;
        }

        foreach (var id in ids)
        {
            await client.TerminateInstanceAsync(id);
        }

        foreach (var id in ids)
        {
            using var wait = new CancellationTokenSource(Patience);
            await client.WaitForInstanceCompletionAsync(id, wait.Token);
        }

        var purged = await client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(from, DateTimeOffset.UtcNow.AddSeconds(1), [OrchestrationRuntimeStatus.Terminated]));

        Assert.Equal(ids.Order(), found.Order());
        Assert.True(pages >= 3, $"5 instances in pages of 2 came in {pages} pages");
        Assert.Equal(5, purged.PurgedInstanceCount);
        foreach (var id in ids)
        {
            Assert.Null(await client.GetInstanceAsync(id));
        }
    }

    [Fact]
    public async Task WaitForInstanceCompletionAsync_UnknownInstance_Throws()
    {
        var client = await ClientAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.WaitForInstanceCompletionAsync(NewId("nobody")));
    }

    [Fact]
    public async Task UnsupportedOperations_RecursiveTerminateAndRewind_ThrowNotSupported()
    {
        var client = await ClientAsync();

        await Assert.ThrowsAsync<NotSupportedException>(() =>
            client.TerminateInstanceAsync("any", new TerminateInstanceOptions(Recursive: true)));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.PurgeInstanceAsync("any", new PurgeInstanceOptions(Recursive: true)));
        await Assert.ThrowsAsync<NotSupportedException>(() => client.RewindInstanceAsync("any", "why"));
    }

    [Fact]
    public async Task ScheduleNewOrchestrationInstanceAsync_InputUsesProjectJson_CamelCase()
    {
        var client = await ClientAsync();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(
            nameof(CallOrchestrator), new CallBatch([new CallRequest("counter", "json", "value")]), new StartOrchestrationOptions(NewId("json")));
        using var wait = new CancellationTokenSource(Patience);

        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);

        using var input = JsonDocument.Parse(done.SerializedInput!);
        Assert.Equal("counter", input.RootElement.GetProperty("calls")[0].GetProperty("server").GetString());
        Assert.Contains("\"ok\":true", done.SerializedOutput, StringComparison.Ordinal);
    }
}
