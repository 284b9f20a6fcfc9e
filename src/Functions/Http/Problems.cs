using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ServerlessGenServer.Functions.Http;

/// <summary>An RFC 9457 problem details body. <see cref="Extensions"/> are written as top-level members.</summary>
public sealed record Problem(string Type, string Title, int Status, string Detail)
{
    [System.Text.Json.Serialization.JsonExtensionData]
    public Dictionary<string, object?> Extensions { get; init; } = [];
}

/// <summary>Every error the API returns, as application/problem+json.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";
    private const string TypePrefix = "urn:serverless-genserver:problem:";

    public static ApiResult NotFound(string detail) => Make("not-found", "Not found", StatusCodes.Status404NotFound, detail);

    public static ApiResult BadInput(string detail) => Make("bad-input", "The request is not valid", StatusCodes.Status400BadRequest, detail);

    public static ApiResult BadKey(string detail) => Make("bad-key", "The key is not valid", StatusCodes.Status400BadRequest, detail);

    public static ApiResult TooLarge(int limit) => Make("too-large", "The body is too large", StatusCodes.Status413PayloadTooLarge,
        $"The body is larger than {limit} bytes.");

    public static ApiResult UnsupportedMediaType(string? contentType) => Make("unsupported-media-type", "The body must be JSON",
        StatusCodes.Status415UnsupportedMediaType,
        $"Send the body as application/json (the request said '{contentType ?? "nothing"}').");

    /// <summary>
    /// A failed operation: 422 with the server's message when it raised a declared error (<see cref="ErrorContract.IsDeclared"/>),
    /// otherwise a fault, 500, whose type and message go only to the log. A read-only call has no
    /// <paramref name="instanceId"/> (empty): it ran in this worker, without an orchestration.
    /// </summary>
    public static ApiResult OperationFailed(string errorType, string error, string instanceId) => ErrorContract.IsDeclared(errorType)
        ? Make("operation-failed", "The operation failed", StatusCodes.Status422UnprocessableEntity, error,
            instanceId.Length > 0 ? [("instanceId", instanceId)] : [])
        : ServerFault(instanceId.Length > 0 ? $"Call {instanceId} failed with {errorType}: {error}" : $"A read-only call failed with {errorType}: {error}");

    /// <summary>A deferred call whose server did not reply before the token's deadline: 504.</summary>
    public static ApiResult ReplyExpired(string error, string instanceId) => Make("reply-expired",
        "The server did not reply in time", StatusCodes.Status504GatewayTimeout, error, ("instanceId", instanceId));

    /// <summary>The backend a gateway server fronts failed the fetch: 502, the same answer for every caller waiting on it.</summary>
    public static ApiResult BackendFailed(string error, string instanceId) => Make("backend-failed",
        "The backend failed", StatusCodes.Status502BadGateway, error, ("instanceId", instanceId));

    /// <summary>
    /// A call repeated with its idempotency key whose first reply was too large to keep: applied once, no reply to repeat.
    /// 410 Gone: the reply existed and is no longer kept (409 is the draft's "still being processed").
    /// </summary>
    public static ApiResult AlreadyApplied(string error, string instanceId) => Make("already-applied",
        "Already applied with this idempotency key", StatusCodes.Status410Gone, error, ("instanceId", instanceId));

    /// <summary>An idempotency key sent again, within its window, with another operation or input.</summary>
    public static ApiResult IdempotencyKeyReused(string error, string instanceId) => Make("idempotency-key-reused",
        "The idempotency key was used for another request", StatusCodes.Status422UnprocessableEntity, error, ("instanceId", instanceId));

    /// <summary>
    /// A fault inside the service: 500 with nothing of it shown. <paramref name="logDetail"/> goes to the log, with the
    /// correlation id that <see cref="ErrorContract"/> adds to the body.
    /// </summary>
    public static ApiResult ServerFault(string logDetail, int status = StatusCodes.Status500InternalServerError) => Make(
        "server-fault", "The service failed", status,
        "The request failed inside the service. Quote correlationId when you report it.") with { FaultDetail = logDetail };

    /// <summary>The task hub's storage cannot be reached: 503 with Retry-After. Whether a cast was queued is unknown.</summary>
    public static ApiResult StorageUnavailable() => Unavailable(
        "The service's storage cannot be reached. Retry later; a cast or call sent now may or may not have been queued.");

    /// <summary>How long a client should wait after a 503, in seconds.</summary>
    public const int RetryAfterSeconds = 5;

    public static ApiResult Unavailable(string detail) => Make("unavailable", "A dependency is unavailable",
        StatusCodes.Status503ServiceUnavailable, detail).WithHeader("Retry-After", $"{RetryAfterSeconds}");

    /// <summary>A problem for a non-2xx answer that had none (a bare status code), so every error is problem+json.</summary>
    public static ApiResult ForStatus(int status) => status >= 500
        ? ServerFault($"The function answered {status} without a problem body.", status)
        : Make("error", ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error", status,
            $"The request was answered with status {status}.");

    private static ApiResult Make(string type, string title, int status, string detail, params (string Name, object? Value)[] extensions) =>
        new(status, new Problem(TypePrefix + type, title, status, detail)
        {
            Extensions = extensions.ToDictionary(e => e.Name, e => e.Value),
        }, ContentType);
}
