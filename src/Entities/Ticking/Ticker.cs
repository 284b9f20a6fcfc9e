using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Ticking;

/// <summary>
/// The seed's handle_info(:tick): a ticker that counts ticks it sends itself with send_after.
/// <c>start</c> and <c>stop</c> are casts, <c>status</c> is a call; <c>tick</c> is its own (handle_info) message.
/// </summary>
/// <remarks>
/// Each tick carries its chain id and sequence number. A tick that is not the awaited one (a duplicate delivery,
/// a tick of a chain replaced by a later start, a tick sent before a stop) does nothing. A tick that arrives more than
/// <see cref="EarlyTolerance"/> before its due time is not counted either: it re-arms the same tick for the time left.
/// The same re-arming carries intervals longer than the backend's longest signal delay (<see cref="MaxSignalDelay"/>):
/// each hop waits at most that long. The next tick is due one interval after a counted tick was handled
/// (send_after semantics), so ticks missed while nothing ran are not made up in a burst.
/// </remarks>
[Offer]
public sealed partial class Ticker(TimeProvider time, ILogger<Ticker> logger) : GenServer<TickerState>(time, logger)
{
    public const long MinIntervalMs = 1_000;

    public const long MaxIntervalMs = 366L * 24 * 60 * 60 * 1_000;

    /// <summary>
    /// The longest delay a self-signal is given. Durable Task's Azure Storage backend caps scheduled entity signals at
    /// six days (EntityBackendProperties.MaximumSignalDelayTime in DurableTask.AzureStorage's orchestration service).
    /// </summary>
    public static readonly TimeSpan MaxSignalDelay = TimeSpan.FromDays(6);

    /// <summary>
    /// How early a tick may arrive and still count. Durable Task delivers a scheduled signal that is at most 100 ms
    /// early by the worker's clock (it reschedules earlier ones itself); a quarter of a second covers that and the
    /// time between the runtime's clock read and ours, and is a quarter of the shortest interval.
    /// </summary>
    public static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(250);

    /// <summary>handle_cast(:start): starts a new chain; a running chain is replaced and dies out. Resets the count.</summary>
    public void Start(StartTicker request)
    {
        ArgumentNullException.ThrowIfNull(request);
        State = new TickerState(
            Running: true,
            IntervalMs: request.IntervalMs,
            Ticks: 0,
            MaxTicks: request.MaxTicks,
            Chain: Guid.NewGuid().ToString("N"),
            Seq: 1,
            NextTickAt: Now + TimeSpan.FromMilliseconds(request.IntervalMs));
        Arm();
    }

    /// <summary>handle_cast(:stop): schedules nothing more; the tick in flight will find no chain. Keeps the count.</summary>
    public void Stop() => State = State with { Running = false, Chain = null, Seq = 0, NextTickAt = null };

    /// <summary>handle_call(:status).</summary>
    public TickerStatus Status() =>
        new(State.Running, State.IntervalMs, State.Ticks, State.MaxTicks, State.Chain, State.NextTickAt);

    /// <summary>handle_info(:tick): counts the awaited tick and arms the next one.</summary>
    [HandleInfo]
    public void Tick(TickMessage tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        if (!State.Running || tick.Chain != State.Chain || tick.Seq != State.Seq)
        {
            LogIgnoredTick(Logger, tick.Chain, tick.Seq, State.Chain, State.Seq);
            if (State == new TickerState())
            {
                // Nothing but this stale tick brought the ticker to life (it was deleted): leave no state behind.
                State = null!;
            }

            return;
        }

        if (Now < State.NextTickAt - EarlyTolerance)
        {
            // Early: a hop of a long interval, or a signal fired before its time. Wait for the time left.
            Arm();
            return;
        }

        var ticks = State.Ticks + 1;
        if (ticks >= State.MaxTicks)
        {
            State = State with { Ticks = ticks, Running = false, Chain = null, Seq = 0, NextTickAt = null };
            LogChainEnded(Logger, Context.Id, ticks);
            return;
        }

        // The next tick is due one interval after this one was due, so ticks that fire a little early do not pull the
        // chain forward; after a late tick, one interval after now, so missed ticks are not made up in a burst.
        var due = State.NextTickAt!.Value > Now ? State.NextTickAt.Value : Now;
        State = State with { Ticks = ticks, Seq = State.Seq + 1, NextTickAt = due + TimeSpan.FromMilliseconds(State.IntervalMs) };
        Arm();
    }

    protected override TickerState Init() => new();

    // Sends the awaited tick, at its due time or after the longest delay the backend allows, whichever is sooner.
    private void Arm()
    {
        var left = State.NextTickAt!.Value - Now;
        SendAfter(left < MaxSignalDelay ? left : MaxSignalDelay, nameof(Tick), new TickMessage(State.Chain!, State.Seq));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ticker ignored tick {Chain}#{Seq}; awaiting {AwaitedChain}#{AwaitedSeq}")]
    private static partial void LogIgnoredTick(ILogger logger, string chain, long seq, string? awaitedChain, long awaitedSeq);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticker {EntityId} reached its last tick ({Ticks})")]
    private static partial void LogChainEnded(ILogger logger, EntityInstanceId entityId, long ticks);
}
