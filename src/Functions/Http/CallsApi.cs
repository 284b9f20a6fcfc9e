using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using ServerlessGenServer.Entities.Gateway;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// The reply of a call that outlived its timeout: 202 while it runs, then the same 200 (or 422) on every read for the
/// retention period after it completed, then 404.
/// </summary>
public sealed class CallsApi(GenServerClient genServers)
{
    [Function("CallsGet")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "calls/{instanceId}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string instanceId)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!CallId.TryParse(instanceId, out _, out _))
        {
            return Problems.BadInput($"'{instanceId}' is not a call id.");
        }

        var result = await genServers.GetCallAsync(client, instanceId, request.HttpContext.RequestAborted);
        if (result is null)
        {
            return Problems.NotFound(
                $"There is no call '{instanceId}' (replies are kept for {genServers.Retention.TotalSeconds:0} s after the call completed).");
        }

        return Answer(request, result, GenServerClient.DefaultCallTimeout);
    }

    /// <summary>
    /// The HTTP answer for a call: 200 with the reply, 422 if the operation threw, 202 with <c>Location</c> if there was no
    /// reply in time (it still runs: a retry would run it again), 503 if it could not even be sent; with an idempotency key
    /// also 409 (applied already, reply not kept) and 422 (key used for another request).
    /// </summary>
    internal static ApiResult Answer(HttpRequest request, CallResult result, TimeSpan timeout) => result.Status switch
    {
        CallStatus.Replied => ApiResult.Ok(new { result = result.Reply }),
        CallStatus.Failed when result.ErrorType == typeof(AlreadyAppliedException).FullName =>
            Problems.AlreadyApplied(result.Error!, result.InstanceId),
        CallStatus.Failed when result.ErrorType == typeof(IdempotencyKeyReusedException).FullName =>
            Problems.IdempotencyKeyReused(result.Error!, result.InstanceId),
        CallStatus.Failed when result.ErrorType == typeof(DeferredReplyExpiredException).FullName =>
            Problems.ReplyExpired(result.Error!, result.InstanceId),
        CallStatus.Failed when result.ErrorType == typeof(BackendFailedException).FullName =>
            Problems.BackendFailed(result.Error!, result.InstanceId),
        CallStatus.Failed => Problems.OperationFailed(result.ErrorType!, result.Error!, result.InstanceId),
        CallStatus.Pending => Pending(request, result.InstanceId, timeout),
        _ => Problems.Unavailable(
            $"The call could not be sent within {timeout.TotalMilliseconds:0} ms: this worker's calls are all busy. It did not run; retry it.")
            .WithHeader("Retry-After", "1"),
    };

    private static ApiResult Pending(HttpRequest request, string callId, TimeSpan timeout) =>
        new ApiResult(StatusCodes.Status202Accepted, new
        {
            instanceId = callId,
            status = "pending",
            statusUrl = StatusUrl(request, callId),
            detail = $"No reply within {timeout.TotalMilliseconds:0} ms. The call still runs; read its reply at statusUrl.",
        })
        .WithHeader("Location", $"/api/calls/{callId}")
        .WithHeader("Retry-After", "1");

    internal static string StatusUrl(HttpRequest request, string instanceId) =>
        $"{request.Scheme}://{request.Host}/api/calls/{instanceId}";
}
