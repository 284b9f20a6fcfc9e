using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.Counting;

/// <summary>The configuration section <c>Counter</c>, validated at startup.</summary>
public sealed class CounterOptions
{
    public const string SectionName = "Counter";

    /// <summary>Seconds without a client message after which a counter deletes itself; 0 (the default) keeps it.</summary>
    [Range(0, 31_536_000)]
    public int StopAfterIdleSeconds { get; set; }

    public TimeSpan? StopAfterIdle => StopAfterIdleSeconds > 0 ? TimeSpan.FromSeconds(StopAfterIdleSeconds) : null;
}
