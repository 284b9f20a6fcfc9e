using System.Text.Json;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Ticking;

/// <summary>
/// The seed's handle_info(:tick): a ticker that counts the ticks of a periodic timer.
/// <c>start</c> and <c>stop</c> are casts, <c>status</c> is a call; <c>onTick</c> is its timer's (handle_info) message.
/// </summary>
/// <remarks>
/// The timer primitive owns the rules that this class once hand-rolled: stale and duplicate firings do nothing, early
/// ones re-arm, long intervals hop, and the next tick is due one interval after the awaited one (send_after semantics).
/// </remarks>
[Offer]
public sealed partial class Ticker(TimeProvider time, ILogger<Ticker> logger) : GenServer<TickerState>(time, logger)
{
    public const long MinIntervalMs = 1_000;

    public const long MaxIntervalMs = 366L * 24 * 60 * 60 * 1_000;

    /// <summary>The ticker's one timer.</summary>
    public const string TickTimer = "tick";

    /// <summary>handle_cast(:start): starts a new chain; a running chain is replaced and its tick in flight dies out. Resets the count.</summary>
    public void Start(StartTicker request)
    {
        ArgumentNullException.ThrowIfNull(request);
        State = new TickerState(Running: true, IntervalMs: request.IntervalMs, Ticks: 0, MaxTicks: request.MaxTicks, Chain: Guid.NewGuid().ToString("N"));
        StartPeriodicTimer(TickTimer, TimeSpan.FromMilliseconds(request.IntervalMs), nameof(OnTick));
    }

    /// <summary>handle_cast(:stop): cancels the timer; the tick in flight does nothing. Keeps the count.</summary>
    public void Stop()
    {
        CancelTimer(TickTimer);
        State = State with { Running = false, Chain = null };
    }

    /// <summary>handle_call(:status).</summary>
    [ReadOnly]
    public TickerStatus Status() =>
        new(State.Running, State.IntervalMs, State.Ticks, State.MaxTicks, State.Chain, TimerDue(TickTimer));

    /// <summary>handle_info(:tick): counts a tick of the running chain; the last one ends it.</summary>
    [HandleInfo]
    public void OnTick()
    {
        var ticks = State.Ticks + 1;
        if (ticks >= State.MaxTicks)
        {
            CancelTimer(TickTimer);
            State = State with { Ticks = ticks, Running = false, Chain = null };
            LogChainEnded(Logger, Context.Id, ticks);
            return;
        }

        State = State with { Ticks = ticks };
    }

    protected override TickerState Init() => new();

    /// <summary>
    /// Version 0 kept its own chain (<c>chain</c>, <c>seq</c>, <c>nextTickAt</c>); a running one goes on as the timer,
    /// due when the old chain's tick was. That tick, still in flight under the old name <c>Tick</c>, is dropped.
    /// </summary>
    protected override TickerState CodeChange(int fromVersion, JsonElement state)
    {
        var old = state.Deserialize<TickerStateV0>(GenServerJson.Options) ?? throw new JsonException("The stored state is null.");
        if (old.Running && old.NextTickAt is { } due)
        {
            StartPeriodicTimer(TickTimer, TimeSpan.FromMilliseconds(old.IntervalMs), nameof(OnTick), firstAt: due);
        }

        return new TickerState(old.Running, old.IntervalMs, old.Ticks, old.MaxTicks, old.Chain);
    }

    private sealed record TickerStateV0(bool Running, long IntervalMs, long Ticks, long? MaxTicks, string? Chain, DateTimeOffset? NextTickAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticker {EntityId} reached its last tick ({Ticks})")]
    private static partial void LogChainEnded(ILogger logger, EntityInstanceId entityId, long ticks);
}
