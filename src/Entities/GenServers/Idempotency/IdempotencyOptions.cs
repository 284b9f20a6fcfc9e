using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.GenServers.Idempotency;

/// <summary>
/// Configuration section <c>Idempotency</c>, read by the front doors (HTTP and queue), which put the window in each
/// <see cref="OnceMessage"/>: the servers themselves need no configuration.
/// </summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>How long a server remembers an idempotency key: 1 minute to 1 day, 30 minutes by default.</summary>
    [Range(1, 1440)]
    public int WindowMinutes { get; set; } = 30;

    public long WindowMs => WindowMinutes * 60_000L;
}
