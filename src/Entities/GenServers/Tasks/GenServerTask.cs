using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.GenServers.Tasks;

/// <summary>A task in flight, kept in the envelope under its id until its result comes or its deadline passes.</summary>
public sealed record TaskInFlight(
    [property: JsonPropertyName("work")] string Work,
    [property: JsonPropertyName("to")] string ReplyTo,
    [property: JsonPropertyName("until")] DateTimeOffset Until);

/// <summary>
/// How the engine retries a task's work when it throws: <paramref name="MaxAttempts"/> runs in all, the first retry after
/// <paramref name="FirstRetryMs"/>, each next one <paramref name="Backoff"/> times longer. A worker that dies during a
/// run is a different thing: the engine runs the work again on another worker whatever this says.
/// </summary>
public sealed record TaskRetry(
    [property: JsonPropertyName("attempts")] int MaxAttempts = 3,
    [property: JsonPropertyName("firstMs")] long FirstRetryMs = 1000,
    [property: JsonPropertyName("backoff")] double Backoff = 2.0)
{
    public static TaskRetry None { get; } = new(1);
}

/// <summary>What the task orchestration runs: the work for one task of one server.</summary>
public sealed record TaskOrder(
    [property: JsonPropertyName("server")] string Server,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("id")] string TaskId,
    [property: JsonPropertyName("item")] WorkItem Item,
    [property: JsonPropertyName("retry")] TaskRetry Retry)
{
    /// <summary>Task orchestrations' instance ids start so: the call sweep purges them with the calls.</summary>
    public const string InstancePrefix = "call-task-";
}

/// <summary>
/// A task's outcome, the input of the operation the server named as <c>replyTo</c>: the result, or the error of its
/// last attempt.
/// </summary>
public sealed record TaskResult(
    [property: JsonPropertyName("id")] string TaskId,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("value"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Value = null,
    [property: JsonPropertyName("errorType"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ErrorType = null,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null)
{
    /// <summary>The reserved operation a task's outcome is sent as; the runtime hands it to the task's <c>replyTo</c>.</summary>
    public const string OperationName = "$task";

    /// <summary>The result read as <typeparamref name="T"/> (default when the work returned nothing).</summary>
    public T? ValueAs<T>() => Value is { } value ? value.Deserialize<T>(GenServerJson.Options) : default;
}
