using System.Text.Json;

namespace ServerlessGenServer.Functions.Client;

public enum CallStatus
{
    /// <summary>The operation ran and replied.</summary>
    Replied,

    /// <summary>The operation threw; its state change was rolled back.</summary>
    Failed,

    /// <summary>No reply yet within the caller's timeout; the operation still runs, and its reply is kept under the call id.</summary>
    Pending,

    /// <summary>The worker could not send the call within the caller's timeout: it never ran, and can be retried.</summary>
    NotSent,
}

/// <summary>What a call came to. <see cref="InstanceId"/> is the call's id (see <see cref="CallId"/>).</summary>
public sealed record CallResult(CallStatus Status, string InstanceId, JsonElement? Reply = null, string? ErrorType = null, string? Error = null)
{
    public static CallResult Replied(string instanceId, JsonElement? reply) => new(CallStatus.Replied, instanceId, reply);

    public static CallResult Failure(string instanceId, string errorType, string error) =>
        new(CallStatus.Failed, instanceId, ErrorType: errorType, Error: error);

    public static CallResult Pending(string instanceId) => new(CallStatus.Pending, instanceId);

    public static CallResult NotSent() => new(CallStatus.NotSent, string.Empty);
}
