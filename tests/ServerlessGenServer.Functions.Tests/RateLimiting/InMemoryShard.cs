using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.Functions.Tests.RateLimiting;

/// <summary>
/// One real <see cref="RateLimiter"/> shard run through its RunAsync in memory (one operation at a time, as the entity
/// runtime runs it), on a fake clock, standing in for the engine behind <see cref="LocalRateLimiter"/>.
/// </summary>
internal sealed class InMemoryShard : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly SemaphoreSlim _mailbox = new(1, 1);
    private readonly Operation.EntityState _state = new();
    private readonly Operation.EntityContext _context = new(new EntityInstanceId("ratelimiter", "0"));

    public InMemoryShard(FakeTimeProvider time, int capacity, double refillPerSecond)
    {
        Time = time;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RateLimiter:Capacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiter:RefillPerSecond"] = refillPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RateLimiter:Shards"] = "1",
        }).Build();
        _services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time).AddGenServers(configuration).BuildServiceProvider();
    }

    public FakeTimeProvider Time { get; }

    /// <summary>The Grant calls made, in order.</summary>
    public List<GrantRequest> Calls { get; } = [];

    /// <summary>Runs before each call; a test can hold calls back with it.</summary>
    public Func<Task> BeforeCall { get; set; } = () => Task.CompletedTask;

    /// <summary>The options the shard runs with, for the limiter under test.</summary>
    public Microsoft.Extensions.Options.IOptions<RateLimiterOptions> Options =>
        _services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimiterOptions>>();

    public async Task<CallResult> GrantAsync(GrantRequest request, CancellationToken cancellation)
    {
        await BeforeCall();
        var reply = await RunAsync("grant", request, cancellation);
        lock (Calls)
        {
            Calls.Add(request);
        }

        return CallResult.Replied("call-test", JsonSerializer.SerializeToElement(reply, GenServerJson.Options));
    }

    public async Task<CheckReply> CheckAsync(string key, int cost = 1) =>
        (CheckReply)(await RunAsync("check", new CheckRequest(key, cost), CancellationToken.None))!;

    public void Dispose()
    {
        _services.Dispose();
        _mailbox.Dispose();
    }

    private async Task<object?> RunAsync(string operation, object input, CancellationToken cancellation)
    {
        await _mailbox.WaitAsync(cancellation);
        try
        {
            var server = ActivatorUtilities.CreateInstance<RateLimiter>(_services);
            return await ((ITaskEntity)server).RunAsync(
                new Operation(operation, JsonSerializer.Serialize(input, input.GetType(), GenServerJson.Options), _state, _context));
        }
        finally
        {
            _mailbox.Release();
        }
    }

    private sealed class Operation(string name, string input, TaskEntityState state, TaskEntityContext context) : TaskEntityOperation
    {
        public override string Name => name;

        public override TaskEntityContext Context => context;

        public override TaskEntityState State => state;

        public override bool HasInput => true;

        public override object? GetInput(Type inputType) => JsonSerializer.Deserialize(input, inputType, GenServerJson.Options);

        internal sealed class EntityState : TaskEntityState
        {
            private object? _value;

            public override bool HasState => _value is not null;

            public override object? GetState(Type type) => _value;

            public override void SetState(object? state) => _value = state;
        }

        internal sealed class EntityContext(EntityInstanceId id) : TaskEntityContext
        {
            public override EntityInstanceId Id => id;

            public override void SignalEntity(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null)
            {
                // The refill chain's self-messages: compaction only, not needed here.
            }

            public override string ScheduleNewOrchestration(TaskName name, object? input = null, StartOrchestrationOptions? options = null) =>
                throw new NotSupportedException();
        }
    }
}
