using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Functions.Client;

/// <summary>Configuration section <c>Calls</c>: how a worker coalesces calls and how long pending replies are kept.</summary>
public sealed class CallOptions
{
    public const string SectionName = "Calls";

    /// <summary>
    /// The most call orchestrations one worker runs at a time, each under a caller id it reuses. Calls made while
    /// they run wait and go together in the next one, so this bounds both the ids entities must remember and the polling.
    /// </summary>
    [Range(1, 64)]
    public int MaxBatchesInFlight { get; set; } = 4;

    /// <summary>The most calls one orchestration carries.</summary>
    [Range(1, 500)]
    public int MaxCallsPerBatch { get; set; } = 100;

    /// <summary>How long the reply of a call that went pending can be read at <c>/api/calls/{id}</c> after it completed.</summary>
    [Range(1, 1440 * 60)]
    public int RetentionSeconds { get; set; } = 600;

    public TimeSpan Retention => TimeSpan.FromSeconds(RetentionSeconds);
}
