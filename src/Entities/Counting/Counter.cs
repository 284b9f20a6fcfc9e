using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Counting;

/// <summary>The seed's counter: <c>increment</c> and <c>reset</c> are casts, <c>value</c> is a read-only call.</summary>
[Offer]
public sealed class Counter(TimeProvider time, IOptions<CounterOptions> options, ILogger<Counter> logger)
    : GenServer<CounterState>(time, logger)
{
    private readonly CounterOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    protected override TimeSpan? StopAfterIdle => _options.StopAfterIdle;

    /// <summary>handle_cast(:increment): adds <paramref name="amount"/>. Overflow fails the operation; it never wraps.</summary>
    public void Increment([Range(1, long.MaxValue)] long amount = 1) =>
        State = State with
        {
            Value = State.Value <= long.MaxValue - amount
                ? State.Value + amount
                : throw new GenServerException($"Adding {amount} to {State.Value} would overflow the counter."),
        };

    /// <summary>handle_call(:value): replies with the count.</summary>
    [ReadOnly]
    public long Value() => State.Value;

    /// <summary>handle_cast(:reset): back to zero.</summary>
    public void Reset() => State = new CounterState();

    protected override CounterState Init() => new();
}
