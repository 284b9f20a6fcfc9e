using System.Security.Cryptography;
using ServerlessGenServer.Entities.Calls;

namespace ServerlessGenServer.Entities.GenServers.Deferred;

/// <summary>
/// The rules of a server's deferred replies. Each token lives until its deadline (then its caller is told it expired,
/// and a late answer is dropped); at most the server's declared number are pending at once; a token answered once
/// stays known until its deadline, so a second answer is an error rather than a reply to nobody.
/// </summary>
public static class PendingReplies
{
    /// <summary>The most deferred replies any server may have pending, whatever it declares.</summary>
    public const int Ceiling = 256;

    /// <summary>A new token for a call deferred at <paramref name="now"/>, kept until <paramref name="until"/>.</summary>
    /// <exception cref="TooManyPendingRepliesException"><paramref name="max"/> tokens are pending already.</exception>
    public static ReplyToken Add(List<PendingReply> pending, DateTimeOffset now, DateTimeOffset until, int max)
    {
        ArgumentNullException.ThrowIfNull(pending);
        Expire(pending, now);
        if (pending.Count >= Math.Min(max, Ceiling))
        {
            throw new TooManyPendingRepliesException(
                $"The server has {pending.Count} calls waiting for a deferred reply, the most it takes; retry later.");
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        pending.Add(new PendingReply(id, until));
        return new ReplyToken(id);
    }

    /// <summary>
    /// Answers a token. Returns where to send the outcome now, or null when there is nothing to send: the caller is not
    /// known yet (the outcome is kept for it) or the token expired (<paramref name="expired"/>; the answer is dropped).
    /// </summary>
    /// <exception cref="InvalidOperationException">The token was answered already.</exception>
    public static ReplyAddress? Answer(List<PendingReply> pending, string id, CallOutcome outcome, DateTimeOffset now, out bool expired)
    {
        ArgumentNullException.ThrowIfNull(pending);
        Expire(pending, now);
        var index = pending.FindIndex(p => p.Id == id);
        expired = index < 0;
        if (expired)
        {
            return null;
        }

        var entry = pending[index];
        if (entry.Answered)
        {
            throw new InvalidOperationException($"The deferred reply {id} was answered already; a call gets one reply.");
        }

        pending[index] = entry with { Answered = true, Caller = null, Outcome = entry.Caller is null ? outcome : null };
        return entry.Caller;
    }

    /// <summary>
    /// The caller of a token says where it waits. Returns the outcome to give it at once (answered already, or expired),
    /// or null: it is recorded and told when the server answers.
    /// </summary>
    public static CallOutcome? Await(List<PendingReply> pending, string id, ReplyAddress caller, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pending);
        Expire(pending, now);
        var index = pending.FindIndex(p => p.Id == id);
        if (index < 0)
        {
            return Expired(id);
        }

        var entry = pending[index];
        if (entry.Answered)
        {
            pending[index] = entry with { Outcome = null };
            return entry.Outcome ?? CallOutcome.Failed(typeof(InvalidOperationException).FullName!, $"The deferred reply {id} was delivered already.");
        }

        pending[index] = entry with { Caller = caller };
        return null;
    }

    /// <summary>What a caller whose token expired (or never existed) gets.</summary>
    public static CallOutcome Expired(string id) => CallOutcome.Failed(typeof(DeferredReplyExpiredException).FullName!,
        $"The server did not answer the deferred call {id} before its deadline.");

    private static void Expire(List<PendingReply> pending, DateTimeOffset now) => pending.RemoveAll(p => p.Until <= now);
}

/// <summary>A call was deferred while the server had as many pending replies as it takes.</summary>
public sealed class TooManyPendingRepliesException : GenServerException
{
    public TooManyPendingRepliesException(string message)
        : base(message)
    {
    }
}

/// <summary>A deferred call's deadline passed with no reply: its caller gets a 504.</summary>
public sealed class DeferredReplyExpiredException : GenServerException
{
    public DeferredReplyExpiredException(string message)
        : base(message)
    {
    }
}
