using System.Text.Json;

namespace ServerlessGenServer.Entities.GenServers.Tasks;

/// <summary>
/// Slow work a GenServer starts with <c>StartTask</c> and does not wait for: it runs as an activity, outside the
/// entity, created from DI. Derive from <see cref="GenServerWork{TInput, TResult}"/> and register it with
/// <c>AddGenServerWork</c>.
/// </summary>
public interface IGenServerWork
{
    /// <summary>Runs the work on its input as JSON; returns its result as JSON. An exception is the task's failure.</summary>
    Task<JsonElement?> RunAsync(JsonElement? input, CancellationToken cancellation);
}

/// <summary>A typed <see cref="IGenServerWork"/>: the input and result go through the project's JSON.</summary>
public abstract class GenServerWork<TInput, TResult> : IGenServerWork
{
    /// <summary>The work. It may take long and do I/O; it may run more than once (at-least-once), so make it safe to repeat.</summary>
    protected abstract Task<TResult> RunAsync(TInput input, CancellationToken cancellation);

    async Task<JsonElement?> IGenServerWork.RunAsync(JsonElement? input, CancellationToken cancellation)
    {
        var typed = input is { ValueKind: not JsonValueKind.Null } json ? json.Deserialize<TInput>(GenServerJson.Options) : default;
        var result = await RunAsync(typed!, cancellation);
        return result is null ? null : JsonSerializer.SerializeToElement(result, GenServerJson.Options);
    }
}
