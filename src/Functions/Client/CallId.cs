using System.Globalization;
using Microsoft.DurableTask.Client;
using ServerlessGenServer.Entities.Calls;

namespace ServerlessGenServer.Functions.Client;

/// <summary>
/// A call's id: its call orchestration's instance id and its place in that run's batch,
/// <c>call-{32 hex digits}-{index}</c>.
/// </summary>
public static class CallId
{
    public static string Format(string instanceId, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{instanceId}-{index}");

    public static bool TryParse(string? callId, out string instanceId, out int index)
    {
        instanceId = string.Empty;
        index = -1;
        var prefix = GenServerClient.CallIdPrefix.Length;
        if (callId is null || callId.Length < prefix + 34 || !callId.StartsWith(GenServerClient.CallIdPrefix, StringComparison.Ordinal) ||
            !Guid.TryParseExact(callId.AsSpan(prefix, 32), "N", out _) || callId[prefix + 32] != '-' ||
            !int.TryParse(callId.AsSpan(prefix + 33), NumberStyles.None, CultureInfo.InvariantCulture, out index) ||
            index.ToString(CultureInfo.InvariantCulture).Length != callId.Length - prefix - 33)
        {
            index = -1;
            return false;
        }

        instanceId = callId[..(prefix + 32)];
        return true;
    }

    internal static CallResult Result(string callId, CallOutcome outcome) => outcome.Ok
        ? CallResult.Replied(callId, outcome.Reply)
        : CallResult.Failure(callId, outcome.ErrorType ?? "Error", outcome.Error ?? "The operation failed.");

    // The outcome of call <paramref name="index"/> of a finished run; a run that did not complete fails every call.
    internal static CallResult Result(string callId, CallOutcome?[]? outcomes, int index, OrchestrationMetadata instance) =>
        outcomes is not null && index < outcomes.Length && outcomes[index] is { } outcome
            ? Result(callId, outcome)
            : CallResult.Failure(callId, "CallFailed",
                $"The call ended as {instance.RuntimeStatus}: {instance.FailureDetails?.ErrorMessage ?? "no reply"}");
}
