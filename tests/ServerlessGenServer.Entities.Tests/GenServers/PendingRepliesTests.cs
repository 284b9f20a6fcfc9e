using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers.Deferred;

namespace ServerlessGenServer.Entities.Tests.GenServers;

public sealed class PendingRepliesTests
{
    private static readonly ReplyAddress Caller = new("call-x", "$reply-x");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Add_AtTheBound_ThrowsTooManyPendingReplies()
    {
        var pending = new List<PendingReply>();
        for (var i = 0; i < 3; i++)
        {
            PendingReplies.Add(pending, _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1), max: 3);
        }

        Assert.Throws<TooManyPendingRepliesException>(() => PendingReplies.Add(pending, _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1), max: 3));
        _time.Advance(TimeSpan.FromMinutes(1));
        PendingReplies.Add(pending, _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1), max: 3);
        Assert.Single(pending);
    }

    [Fact]
    public void Answer_Twice_Throws()
    {
        var pending = new List<PendingReply>();
        var token = PendingReplies.Add(pending, _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1), max: 8);
        Assert.Null(PendingReplies.Await(pending, token.Id, Caller, _time.GetUtcNow()));

        var to = PendingReplies.Answer(pending, token.Id, CallOutcome.Replied(null), _time.GetUtcNow(), out var expired);

        Assert.False(expired);
        Assert.Equal(Caller, to);
        Assert.Throws<InvalidOperationException>(() => PendingReplies.Answer(pending, token.Id, CallOutcome.Replied(null), _time.GetUtcNow(), out _));
    }

    [Fact]
    public void Answer_BeforeTheCallerWaits_KeepsTheOutcomeForItsAwait()
    {
        var pending = new List<PendingReply>();
        var token = PendingReplies.Add(pending, _time.GetUtcNow(), _time.GetUtcNow().AddMinutes(1), max: 8);
        var outcome = CallOutcome.Failed("T", "boom");

        Assert.Null(PendingReplies.Answer(pending, token.Id, outcome, _time.GetUtcNow(), out var expired));
        Assert.False(expired);
        Assert.Equal(outcome, PendingReplies.Await(pending, token.Id, Caller, _time.GetUtcNow()));
    }

    [Fact]
    public void Answer_AfterTheDeadline_IsDroppedAndTheCallerIsToldItExpired()
    {
        var pending = new List<PendingReply>();
        var token = PendingReplies.Add(pending, _time.GetUtcNow(), _time.GetUtcNow().AddSeconds(30), max: 8);
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Null(PendingReplies.Answer(pending, token.Id, CallOutcome.Replied(null), _time.GetUtcNow(), out var expired));
        Assert.True(expired);
        Assert.Empty(pending);
        Assert.Equal(typeof(DeferredReplyExpiredException).FullName, PendingReplies.Await(pending, token.Id, Caller, _time.GetUtcNow())!.ErrorType);
    }
}
