using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Engine.Client;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using ServerlessGenServer.Entities.Counting;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The entity half of the client (<see cref="EngineDurableEntityClient"/>), on the real engine.</summary>
[Collection(EngineTestGroup.Name)]
public sealed class EngineDurableEntityClientTests(EngineFixture engine, ITestOutputHelper output)
{
    private async Task<DurableEntityClient> EntitiesAsync() => (await engine.HostForAsync(this)).Client.Entities;

    private static EntityInstanceId NewCounter(string prefix = "e") => new("counter", $"{prefix}-{Guid.NewGuid():N}");

    private static Task<EntityMetadata?> StateAsync(DurableEntityClient entities, EntityInstanceId id) =>
        Eventually.WaitForAsync(() => entities.GetEntityAsync(id), e => e is not null, $"{id} to have state");

    [Fact]
    public async Task SignalEntityAsync_Increment_GetEntityReturnsTheNewState()
    {
        var entities = await EntitiesAsync();
        var id = NewCounter();
        var before = DateTimeOffset.UtcNow;

        await entities.SignalEntityAsync(id, "increment", 4L);
        var found = await StateAsync(entities, id);
        var typed = await entities.GetEntityAsync(id);

        Assert.Equal(id, found!.Id);
        Assert.True(found.IncludesState);
        Assert.Equal("{\"$v\":1,\"state\":{\"value\":4}}", found.State.Value);
        Assert.Equal(4, found.State.ReadAs<GenServerEnvelope>().Stored!.Value.GetProperty("value").GetInt64());
        Assert.Equal(new CounterState(4), GenServerEnvelope.ServerState<CounterState>(typed!.State.Value));
        Assert.InRange(found.LastModifiedTime, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task GetEntityAsync_WithoutState_ReturnsMetadataOnly()
    {
        var entities = await EntitiesAsync();
        var id = NewCounter();
        await entities.SignalEntityAsync(id, "increment");
        await StateAsync(entities, id);

        var found = await entities.GetEntityAsync(id, includeState: false);

        Assert.Equal(id, found!.Id);
        Assert.False(found.IncludesState);
    }

    [Fact]
    public async Task GetEntityAsync_NeverSignalled_ReturnsNull()
    {
        var entities = await EntitiesAsync();

        Assert.Null(await entities.GetEntityAsync(NewCounter()));
    }

    [Fact]
    public async Task SignalEntityAsync_WithSignalTime_IsAppliedAtThatTimeNotAtOnce()
    {
        var entities = await EntitiesAsync();
        var id = NewCounter();
        var due = DateTimeOffset.UtcNow.AddSeconds(3);

        await entities.SignalEntityAsync(id, "increment", input: null, new SignalEntityOptions { SignalTime = due });
        var early = await entities.GetEntityAsync(id);
        await StateAsync(entities, id);
        var seen = DateTimeOffset.UtcNow;
        var applied = (await entities.GetEntityAsync(id))!.LastModifiedTime;

        output.WriteLine($"A signal scheduled for +3 s was applied {(applied - due).TotalMilliseconds:0} ms from its time, seen {(seen - due).TotalMilliseconds:0} ms");
        Assert.Null(early);
        Assert.InRange(applied, due.AddSeconds(-1), due.AddSeconds(10));
        Assert.InRange(seen, due.AddSeconds(-1), due.AddSeconds(10));
    }

    [Fact]
    public async Task GetAllEntitiesAsync_NamePrefixWithPageSize_ReturnsEveryMatchOnceInPages()
    {
        var entities = await EntitiesAsync();
        var prefix = $"q{Guid.NewGuid():N}"[..12];
        var ids = Enumerable.Range(0, 5).Select(i => new EntityInstanceId("counter", $"{prefix}-{i}")).ToList();
        var other = new EntityInstanceId("tally", $"{prefix}-0");
        foreach (var id in ids)
        {
            await entities.SignalEntityAsync(id, "increment");
        }

        await entities.SignalEntityAsync(other, "add", 1L);
        foreach (var id in ids.Append(other))
        {
            await StateAsync(entities, id);
        }

        var found = new List<EntityMetadata>();
        var continuations = new List<string?>();
        await foreach (var page in entities.GetAllEntitiesAsync(new EntityQuery { InstanceIdStartsWith = $"counter@{prefix}-", PageSize = 2 }).AsPages())
        {
            Assert.True(page.Values.Count <= 2, $"a page of 2 had {page.Values.Count}");
            found.AddRange(page.Values);
            continuations.Add(page.ContinuationToken);
        }

        var withoutState = new List<EntityMetadata>();
        await foreach (var entity in entities.GetAllEntitiesAsync(new EntityQuery { InstanceIdStartsWith = $"@counter@{prefix}-", IncludeState = false }))
        {
            withoutState.Add(entity);
        }

        Assert.Equal(ids.Select(i => i.Key).Order(), found.Select(e => e.Id.Key).Order());
        Assert.All(found, e => Assert.Equal("{\"$v\":1,\"state\":{\"value\":1}}", e.State.Value));
        Assert.Contains(continuations, c => c is not null);
        Assert.Equal(5, withoutState.Count);
        Assert.All(withoutState, e => Assert.False(e.IncludesState));
    }

    [Fact]
    public async Task CleanEntityStorageAsync_EntityDeletedWithinReorderWindow_KeepsItsRecord()
    {
        var entities = await EntitiesAsync();
        var id = await CreateAndDeleteAsync(entities);
        var query = TransientQuery(id);

        var result = await entities.CleanEntityStorageAsync(new CleanEntityStorageRequest { RemoveEmptyEntities = true, ReleaseOrphanedLocks = true });
        var after = await ListAsync(entities, query);

        Assert.Equal(0, result.EmptyEntitiesRemoved);
        Assert.Single(after);
    }

    [Fact]
    public async Task CleanEntityStorageAsync_EntityDeletedOutsideReorderWindow_RemovesItsRecord()
    {
        // A window of 0 makes every deleted entity old enough to remove (the default keeps them 30 minutes).
        await using var host = await EngineHost.StartAsync(engine.NewOptions("Clean") with { EntityMessageReorderWindowInMinutes = 0 });
        var entities = host.Client.Entities;
        var id = await CreateAndDeleteAsync(entities);
        var query = TransientQuery(id);

        var before = await ListAsync(entities, query);
        var result = await entities.CleanEntityStorageAsync(new CleanEntityStorageRequest { RemoveEmptyEntities = true, ReleaseOrphanedLocks = true });
        var after = await ListAsync(entities, query);

        Assert.Single(before);
        Assert.Equal(1, result.EmptyEntitiesRemoved);
        Assert.Null(result.ContinuationToken);
        Assert.Empty(after);
    }

    [Fact]
    public void CapScheduledTime_NoSignalTime_SendsNow()
    {
        Assert.Null(EngineDurableEntityClient.CapScheduledTime(null, DateTimeOffset.UtcNow, TimeSpan.FromDays(6)));
    }

    [Fact]
    public void CapScheduledTime_WithinMaximumDelay_KeepsTheTime()
    {
        var now = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var at = now.AddDays(2);

        var scheduled = EngineDurableEntityClient.CapScheduledTime(at, now, TimeSpan.FromDays(6));

        Assert.Equal((at.UtcDateTime, at.UtcDateTime), scheduled);
    }

    [Fact]
    public void CapScheduledTime_BeyondMaximumDelay_CapsDeliveryButKeepsTheRequestedTime()
    {
        var now = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var at = now.AddDays(30);

        var scheduled = EngineDurableEntityClient.CapScheduledTime(at, now, TimeSpan.FromDays(6));

        Assert.Equal((at.UtcDateTime, now.AddDays(6).UtcDateTime), scheduled);
    }

    // The query that also shows entities without state (deleted ones the backend still tracks).
    private static EntityQuery TransientQuery(EntityInstanceId id) =>
        new() { InstanceIdStartsWith = $"@{id.Name}@{id.Key}", IncludeTransient = true };

    private static async Task<EntityInstanceId> CreateAndDeleteAsync(DurableEntityClient entities)
    {
        var id = NewCounter("clean");
        await entities.SignalEntityAsync(id, "increment");
        await StateAsync(entities, id);
        await entities.SignalEntityAsync(id, "delete");
        await Eventually.WaitForAsync(() => entities.GetEntityAsync(id), e => e is null, $"{id} to be deleted");
        return id;
    }

    private static async Task<List<EntityMetadata>> ListAsync(DurableEntityClient entities, EntityQuery query)
    {
        var list = new List<EntityMetadata>();
        await foreach (var entity in entities.GetAllEntitiesAsync(query))
        {
            list.Add(entity);
        }

        return list;
    }
}
