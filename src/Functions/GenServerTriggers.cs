using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.DurableTask;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.Gateway;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Tasks;
using ServerlessGenServer.Entities.Ticking;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Functions;

/// <summary>One entity trigger per GenServer, the orchestration that carries calls, and the runtime's task and reply orchestrations.</summary>
public static class GenServerTriggers
{
    [Function(nameof(Counter))]
    public static Task Counter([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<Counter>();

    [Function(nameof(Ticker))]
    public static Task Ticker([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<Ticker>();

    [Function(nameof(Cache))]
    public static Task Cache([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<Cache>();
    [Function(nameof(RateLimiter))]
    public static Task RateLimiter([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<RateLimiter>();

    [Function(nameof(Gateway))]
    public static Task Gateway([EntityTrigger] TaskEntityDispatcher dispatcher) => dispatcher.DispatchAsync<Gateway>();

    [Function(nameof(CallOrchestrator))]
    public static Task<CallOutcome[]> CallOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, CallBatch batch) =>
        new CallOrchestrator().RunAsync(context, batch);

    [Function(nameof(ReplyOrchestrator))]
    public static Task<bool> ReplyOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, ReplyDelivery delivery) =>
        new ReplyOrchestrator().RunAsync(context, delivery);

    [Function(nameof(GenServerTaskOrchestrator))]
    public static Task<bool> GenServerTaskOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, TaskOrder order) =>
        new GenServerTaskOrchestrator().RunAsync(context, order);

    /// <summary>The activity every StartTask runs as: the named work class, from DI.</summary>
    [Function(GenServerWorks.ActivityName)]
    public static Task<JsonElement?> GenServerTask([ActivityTrigger] WorkItem item, FunctionContext context) =>
        context.InstanceServices.GetRequiredService<GenServerWorks>().RunAsync(item, context.CancellationToken);
}
