using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.Ticking;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Functions;

/// <summary>One entity trigger per GenServer, and the orchestration that carries calls.</summary>
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

    [Function(nameof(CallOrchestrator))]
    public static Task<CallOutcome[]> CallOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context, CallBatch batch) =>
        new CallOrchestrator().RunAsync(context, batch);
}
