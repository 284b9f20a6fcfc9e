using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// One armed timer, kept in the envelope under its name. Only the firing that carries <paramref name="Generation"/>
/// counts: restarting or cancelling a timer makes the firing in flight stale, and a handled firing's duplicate finds
/// another generation or no timer.
/// </summary>
/// <param name="Generation">A random 64-bit number per arming, so a firing sent before a delete never matches a timer of the restarted server.</param>
/// <param name="Due">When it fires.</param>
/// <param name="Operation">The message it delivers.</param>
/// <param name="Input">That message's input, or null.</param>
/// <param name="PeriodMs">For a periodic timer, the period (send_after semantics); null for a one-shot.</param>
public sealed record GenServerTimer(
    [property: JsonPropertyName("g")] long Generation,
    [property: JsonPropertyName("due")] DateTimeOffset Due,
    [property: JsonPropertyName("op")] string Operation,
    [property: JsonPropertyName("in"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Input = null,
    [property: JsonPropertyName("every"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? PeriodMs = null)
{
    /// <summary>The reserved operation a timer's firing is sent as.</summary>
    public const string FiringOperation = "$timer";

    /// <summary>The most timers one server may have armed at once.</summary>
    public const int MaxTimers = 16;

    /// <summary>
    /// The longest delay a self-signal is given. Durable Task's Azure Storage backend caps scheduled entity signals at
    /// six days (EntityBackendProperties.MaximumSignalDelayTime); a longer timer hops.
    /// </summary>
    public static readonly TimeSpan MaxSignalDelay = TimeSpan.FromDays(6);

    /// <summary>
    /// How early a firing may arrive and still count. Durable Task delivers a scheduled signal at most 100 ms early by
    /// the worker's clock; a quarter of a second covers that and the time between the runtime's clock read and ours.
    /// An earlier firing (a hop of a long timer, or an early signal) re-arms for the time left.
    /// </summary>
    public static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(250);

    /// <summary>The next due time of a periodic timer that fired at <paramref name="now"/>: one period after the awaited
    /// due time, or after now when the firing was late, so missed periods are not made up in a burst.</summary>
    public DateTimeOffset NextDue(DateTimeOffset now) => (Due > now ? Due : now) + TimeSpan.FromMilliseconds(PeriodMs!.Value);
}

/// <summary>The input of a timer's firing: which timer, which arming.</summary>
public sealed record TimerFiring(
    [property: JsonPropertyName("n")] string Name,
    [property: JsonPropertyName("g")] long Generation);
