using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Deferred;
using ServerlessGenServer.Entities.GenServers.Tasks;

namespace ServerlessGenServer.Entities.Gateway;

/// <summary>
/// The seed's proxy pitfall, done right: a caching gateway in front of a slow HTTP backend. A cached path answers at
/// once; a miss starts one fetch as a task and defers its reply, and every caller of the same path meanwhile waits on
/// that fetch (request coalescing). The server keeps answering while fetches run.
/// </summary>
[Offer]
public sealed partial class Gateway(TimeProvider time, IOptions<GatewayOptions> options, ILogger<Gateway> logger)
    : GenServer<GatewayState>(time, logger)
{
    public const int MaxPathLength = 256;

    private readonly GatewayOptions _options = options.Value;

    protected override int MaxTasks => 8;

    protected override int MaxPendingReplies => 128;

    protected override TaskRetry TaskRetry => new(_options.FetchAttempts, FirstRetryMs: 200);

    protected override TimeSpan TaskTimeout => TimeSpan.FromSeconds(_options.FetchTimeoutSeconds * _options.FetchAttempts + 60);

    /// <summary>handle_call({:get, path}): the backend's answer for <paramref name="path"/>, from the cache or fetched once for all its callers.</summary>
    public string? Get([Required, StringLength(MaxPathLength, MinimumLength = 1), RegularExpression(@"^[A-Za-z0-9/_\-\.]+$")] string path)
    {
        var index = State.Entries.FindIndex(e => e.Path == path);
        if (index >= 0 && State.Entries[index].ExpiresAt > Now)
        {
            var entry = State.Entries[index];
            State.Entries.RemoveAt(index);
            State.Entries.Add(entry);
            State.Hits++;
            return entry.Value;
        }

        if (index >= 0)
        {
            State.Entries.RemoveAt(index);
        }

        State.Misses++;
        if (State.Fetches.Find(f => f.Path == path) is { } running)
        {
            running.Waiters.Add(Defer());
            State.Coalesced++;
            return null;
        }

        var task = StartTask<FetchWork>(path, nameof(Fetched));
        State.Fetches.Add(new GatewayFetch(path, task, [Defer()]));
        State.FetchesStarted++;
        return null;
    }

    /// <summary>handle_call(:stats).</summary>
    public GatewayStats Stats() => new(State.Entries.Count, State.Fetches.Count, State.Fetches.Sum(f => f.Waiters.Count),
        State.Hits, State.Misses, State.Coalesced, State.FetchesStarted, State.FetchesFailed);

    /// <summary>A fetch's outcome: cache the value and answer every waiter, or give them all the same error.</summary>
    [HandleInfo]
    public void Fetched(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var index = State.Fetches.FindIndex(f => f.TaskId == result.TaskId);
        if (index < 0)
        {
            return;
        }

        var fetch = State.Fetches[index];
        State.Fetches.RemoveAt(index);
        if (result.Ok && result.ValueAs<string>() is { } value)
        {
            State.Entries.RemoveAll(e => e.Path == fetch.Path || e.ExpiresAt <= Now);
            State.Entries.Add(new GatewayEntry(fetch.Path, value, Now + _options.Ttl));
            if (State.Entries.Count > _options.MaxEntries)
            {
                State.Entries.RemoveRange(0, State.Entries.Count - _options.MaxEntries);
            }

            fetch.Waiters.ForEach(w => Reply(w, value));
            return;
        }

        State.FetchesFailed++;
        LogFetchFailed(Logger, Context.Id, fetch.Path, result.ErrorType, result.Error);
        var error = result.ErrorType == typeof(BackendFailedException).FullName
            ? new BackendFailedException(result.Error!)
            : new BackendFailedException($"The backend could not be reached for '{fetch.Path}'.");
        fetch.Waiters.ForEach(w => ReplyError(w, error));
    }

    protected override GatewayState Init() => new();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {EntityId} failed to fetch '{Path}': {ErrorType}: {Error}")]
    private static partial void LogFetchFailed(ILogger logger, Microsoft.DurableTask.Entities.EntityInstanceId entityId, string path, string? errorType, string? error);
}
