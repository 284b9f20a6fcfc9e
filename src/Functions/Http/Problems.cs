using Microsoft.AspNetCore.Http;

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

    public static ApiResult OperationFailed(string errorType, string error, string instanceId) => Make("operation-failed",
        "The operation failed", StatusCodes.Status422UnprocessableEntity, error,
        ("errorType", errorType), ("instanceId", instanceId));

    /// <summary>A call repeated with its idempotency key whose first reply was too large to keep: applied once, no reply to repeat.</summary>
    public static ApiResult AlreadyApplied(string error, string instanceId) => Make("already-applied",
        "Already applied with this idempotency key", StatusCodes.Status409Conflict, error, ("instanceId", instanceId));

    /// <summary>An idempotency key sent again, within its window, with another operation or input.</summary>
    public static ApiResult IdempotencyKeyReused(string error, string instanceId) => Make("idempotency-key-reused",
        "The idempotency key was used for another request", StatusCodes.Status422UnprocessableEntity, error, ("instanceId", instanceId));

    public static ApiResult Unavailable(string detail) => Make("unavailable", "A dependency is unavailable",
        StatusCodes.Status503ServiceUnavailable, detail);

    private static ApiResult Make(string type, string title, int status, string detail, params (string Name, object? Value)[] extensions) =>
        new(status, new Problem(TypePrefix + type, title, status, detail)
        {
            Extensions = extensions.ToDictionary(e => e.Name, e => e.Value),
        }, ContentType);
}
