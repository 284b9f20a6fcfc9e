using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.Http;

/// <summary>The reply of a call that outlived its timeout: 202 while it runs, then 200 (or 422) once, then 404.</summary>
public sealed class CallsApi(GenServerClient genServers)
{
    [Function("CallsGet")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls/{instanceId}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsCallId(instanceId))
        {
            return Problems.BadInput($"'{instanceId}' is not a call id.");
        }

        var result = await genServers.GetCallAsync(client, instanceId, request.HttpContext.RequestAborted);
        if (result is null)
        {
            return Problems.NotFound($"There is no call '{instanceId}' (its reply may have been read already).");
        }

        return result.Status == CallStatus.Pending
            ? new ApiResult(StatusCodes.Status202Accepted, new { instanceId, status = "pending" }).WithHeader("Retry-After", "1")
            : Answer(request, result, GenServerClient.DefaultCallTimeout);
    }

    /// <summary>
    /// The HTTP answer for a call: 200 with the reply, 422 if the operation threw, 504 if there was no reply in time; with an
    /// idempotency key also 409 (applied already, reply not kept) and 422 (key used for another request).
    /// </summary>
    internal static ApiResult Answer(HttpRequest request, CallResult result, TimeSpan timeout) => result.Status switch
    {
        CallStatus.Replied => ApiResult.Ok(new { result = result.Reply }),
        CallStatus.Failed when result.ErrorType == typeof(AlreadyAppliedException).FullName =>
            Problems.AlreadyApplied(result.Error!, result.InstanceId),
        CallStatus.Failed when result.ErrorType == typeof(IdempotencyKeyReusedException).FullName =>
            Problems.IdempotencyKeyReused(result.Error!, result.InstanceId),
        CallStatus.Failed => Problems.OperationFailed(result.ErrorType!, result.Error!, result.InstanceId),
        _ => Problems.CallTimedOut(result.InstanceId, StatusUrl(request, result.InstanceId), timeout),
    };

    internal static string StatusUrl(HttpRequest request, string instanceId) =>
        $"{request.Scheme}://{request.Host}/api/calls/{instanceId}";

    private static bool IsCallId(string id) =>
        id.StartsWith(GenServerClient.CallIdPrefix, StringComparison.Ordinal) &&
        Guid.TryParseExact(id.AsSpan(GenServerClient.CallIdPrefix.Length), "N", out _);
}
