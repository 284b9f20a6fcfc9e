using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Client;

/// <summary>
/// Coalesces one worker's calls to one task hub: at most <see cref="CallOptions.MaxBatchesInFlight"/> call
/// orchestrations run at a time, and the calls made meanwhile go together in the next one. Each runs under a caller
/// instance id the batcher reuses once its previous run completed, so entities see a bounded set of senders (their
/// message sorter keeps one entry per sender for the reorder window) and nothing is purged on the call path.
/// </summary>
/// <remarks>
/// An id whose run still had a call that went pending is retired, not reused: its completed instance keeps that reply
/// for <c>/api/calls/{id}</c> until the sweep. An id idle for half the retention is retired too, so the sweep (which
/// purges only instances idle for the whole retention) never purges an id that is about to run again.
/// </remarks>
internal sealed partial class CallBatcher(TimeProvider time, CallOptions options, ILogger logger)
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(15);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(250);
    private static readonly List<string> NotWhileRunning = ["Running", "Pending"];

    private readonly ConcurrentQueue<QueuedCall> _queue = new();
    private readonly ConcurrentStack<(string InstanceId, DateTimeOffset IdleSince)> _idle = new();
    private int _inFlight;

    public void Enqueue(QueuedCall call)
    {
        _queue.Enqueue(call);
        Pump();
    }

    private void Pump()
    {
        while (!_queue.IsEmpty)
        {
            var running = Volatile.Read(ref _inFlight);
            if (running >= options.MaxBatchesInFlight)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _inFlight, running + 1, running) == running)
            {
                // Runs synchronously up to its first await, having taken what is queued.
                _ = RunAsync();
            }
        }
    }

    private async Task RunAsync()
    {
        var slot = new Slot(this);
        try
        {
            while (slot.Held)
            {
                var instanceId = TakeId();
                var calls = Drain(instanceId);
                if (calls.Count == 0)
                {
                    _idle.Push((instanceId, time.GetUtcNow()));
                    return;
                }

                var reusable = await RunBatchAsync(instanceId, calls, slot);
                if (reusable)
                {
                    _idle.Push((instanceId, time.GetUtcNow()));
                }
            }
        }
        finally
        {
            slot.Release();
        }
    }

    // A run counts towards MaxBatchesInFlight until it is slow (one entity's backlog): then it gives up its slot, so
    // the calls behind it go in a new run instead of waiting for the slowest call of the old one.
    private sealed class Slot(CallBatcher batcher)
    {
        public bool Held { get; private set; } = true;

        public void Release()
        {
            if (Held)
            {
                Held = false;
                Interlocked.Decrement(ref batcher._inFlight);
                batcher.Pump(); // a call queued after the last drain but before the decrement
            }
        }
    }

    private string TakeId()
    {
        while (_idle.TryPop(out var idle))
        {
            if (time.GetUtcNow() - idle.IdleSince < options.Retention / 2)
            {
                return idle.InstanceId;
            }
        }

        return GenServerClient.CallIdPrefix + Guid.NewGuid().ToString("N");
    }

    private List<QueuedCall> Drain(string instanceId)
    {
        var calls = new List<QueuedCall>();
        while (calls.Count < options.MaxCallsPerBatch && _queue.TryDequeue(out var call))
        {
            if (call.TrySend(CallId.Format(instanceId, calls.Count)))
            {
                calls.Add(call);
            }
        }

        return calls;
    }

    // True when the id can be reused: its run completed and every call's reply was handed to its caller.
    private async Task<bool> RunBatchAsync(string instanceId, List<QueuedCall> calls, Slot slot)
    {
        var client = calls[0].Client;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(CallOrchestrator),
                new CallBatch([.. calls.Select(c => c.Request)]),
                new StartOrchestrationOptions(instanceId) { DedupeStatuses = NotWhileRunning });
        }
        catch (Exception ex)
        {
            // Whether the run started is unknown: the callers see the fault, and the id is not used again.
            foreach (var call in calls)
            {
                call.TryFail(ex);
                call.Scheduled.TrySetResult();
            }

            return false;
        }

        foreach (var call in calls)
        {
            call.Scheduled.TrySetResult();
        }

        var completed = false;
        var delay = FirstPoll;
        for (var first = true; calls.Any(c => c.IsSent); first = false)
        {
            if (!first)
            {
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 3 / 2, MaxPoll.Ticks));
                if (delay == MaxPoll)
                {
                    slot.Release();
                }
            }

            OrchestrationMetadata? instance;
            try
            {
                instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Storage hiccup: poll again; callers that run out of time go pending meanwhile.
                LogPollFailed(logger, instanceId, ex);
                continue;
            }

            if (instance is { IsCompleted: true })
            {
                Deliver(calls, instance);
                completed = true;
                break;
            }

            if (instance?.SerializedCustomStatus is { } progress)
            {
                Deliver(calls, JsonSerializer.Deserialize<CallOutcome?[]>(progress, GenServerJson.Options), instanceId);
            }
        }

        return completed && !calls.Any(c => c.WentPending);
    }

    private static void Deliver(List<QueuedCall> calls, OrchestrationMetadata instance)
    {
        var outcomes = instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
            ? instance.ReadOutputAs<CallOutcome?[]>()
            : null;
        for (var i = 0; i < calls.Count; i++)
        {
            calls[i].TryAnswer(CallId.Result(calls[i].CallId!, outcomes, i, instance));
        }
    }

    private static void Deliver(List<QueuedCall> calls, CallOutcome?[]? outcomes, string instanceId)
    {
        for (var i = 0; i < calls.Count && outcomes is not null && i < outcomes.Length; i++)
        {
            if (outcomes[i] is { } outcome)
            {
                calls[i].TryAnswer(CallId.Result(CallId.Format(instanceId, i), outcome));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling call batch {InstanceId} failed; polling again")]
    private static partial void LogPollFailed(ILogger logger, string instanceId, Exception exception);
}

/// <summary>One call waiting in a <see cref="CallBatcher"/>: queued, then sent, then answered, or given up by its caller.</summary>
internal sealed class QueuedCall(CallRequest request, DurableTaskClient client)
{
    private const int Queued = 0, Sent = 1, Answered = 2, Abandoned = 3, GaveUp = 4;
    private int _state;

    public CallRequest Request { get; } = request;

    public DurableTaskClient Client { get; } = client;

    /// <summary>Set when the call is sent: the id its reply can be read under.</summary>
    public string? CallId { get; private set; }

    public TaskCompletionSource<CallResult> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the call's orchestration was scheduled (or scheduling failed): from then on its id can be read.</summary>
    public TaskCompletionSource Scheduled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsSent => Volatile.Read(ref _state) == Sent;

    public bool WentPending => Volatile.Read(ref _state) == GaveUp;

    public bool TrySend(string callId)
    {
        CallId = callId;
        return Interlocked.CompareExchange(ref _state, Sent, Queued) == Queued;
    }

    public void TryAnswer(CallResult result)
    {
        if (Interlocked.CompareExchange(ref _state, Answered, Sent) == Sent)
        {
            Reply.SetResult(result);
        }
    }

    public void TryFail(Exception exception)
    {
        if (Interlocked.CompareExchange(ref _state, Answered, Sent) == Sent)
        {
            Reply.SetException(exception);
        }
    }

    /// <summary>The caller stops waiting before the call was sent: it never runs.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;

    /// <summary>The caller stops waiting after the call was sent: it runs, and its reply is kept for <see cref="CallId"/>.</summary>
    public bool TryGiveUp() => Interlocked.CompareExchange(ref _state, GaveUp, Sent) == Sent;
}
