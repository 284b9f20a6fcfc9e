using System.Text.Json;

namespace ServerlessGenServer.Functions.Client;

public enum CallStatus
{
    /// <summary>The operation ran and replied.</summary>
    Replied,

    /// <summary>The operation threw; its state change was rolled back.</summary>
    Failed,

    /// <summary>No reply yet within the caller's timeout; the operation still runs later.</summary>
    Pending,
}

/// <summary>What a call came to.</summary>
public sealed record CallResult(CallStatus Status, string InstanceId, JsonElement? Reply = null, string? ErrorType = null, string? Error = null)
{
    public static CallResult Replied(string instanceId, JsonElement? reply) => new(CallStatus.Replied, instanceId, reply);

    public static CallResult Failure(string instanceId, string errorType, string error) =>
        new(CallStatus.Failed, instanceId, ErrorType: errorType, Error: error);

    public static CallResult Pending(string instanceId) => new(CallStatus.Pending, instanceId);
}
