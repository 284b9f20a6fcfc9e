using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.Functions.Http;

/// <summary>Anonymous liveness: can the app reach the task hub's storage?</summary>
public sealed partial class HealthApi(ILogger<HealthApi> logger)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    [Function("Health")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            // A read of an instance that never exists: it touches the task hub's storage and nothing else.
            await client.GetInstanceAsync("health-probe", getInputsAndOutputs: false, timeout.Token);
            return ApiResult.Ok(new { status = "healthy", storage = "reachable" });
        }
#pragma warning disable CA1031 // Any failure to reach storage is what this endpoint reports.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnhealthy(logger, ex);
            return Problems.Unavailable("The task hub's storage is not reachable.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health probe failed")]
    private static partial void LogUnhealthy(ILogger logger, Exception exception);
}
