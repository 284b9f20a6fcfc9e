using Microsoft.AspNetCore.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// Hostile keys, servers and operations in the route. The Functions host hands route values over URL-decoded, so a
/// key arrives here as the characters a client encoded (a literal <c>%2F</c> stays as those three characters).
/// </summary>
public sealed class HostileTargetTests
{
    /// <summary>Entity keys by case name (the names keep control characters and lone surrogates out of test names).</summary>
    private static readonly Dictionary<string, string> EntityKeys = new()
    {
        ["nul"] = "a\0b",
        ["tab"] = "a\tb",
        ["newline"] = "a\nb",
        ["carriage-return"] = "a\rb",
        ["delete-char"] = "a\u007Fb",
        ["c1-control"] = "a\u0085b",
        ["zero-width-space"] = "a\u200Bb",
        ["right-to-left-override"] = "abc\u202Etxt.exe",
        ["byte-order-mark"] = "\uFEFFa",
        ["soft-hyphen"] = "a\u00ADb",
        ["lone-high-surrogate"] = "a\uD800",
        ["lone-low-surrogate"] = "\uDC00a",
        ["emoji"] = "\U0001F600",
        ["percent-encoded-slash"] = "a%2Fb",
        ["percent-encoded-space"] = "a%20b",
        ["at"] = "a@b",
        ["slash"] = "a/b",
        ["backslash"] = "a\\b",
        ["hash"] = "a#b",
        ["question-mark"] = "a?b",
        ["ampersand"] = "a&b",
        ["quote"] = "a\"b",
        ["angle-brackets"] = "<script>",
        ["space"] = "a b",
        ["no-break-space"] = "a\u00A0b",
        ["only-whitespace"] = "   ",
        ["257-characters"] = new string('k', 257),
        ["empty"] = "",
    };

    /// <summary>Rate-limit keys are hashed, not used as entity keys: only emptiness, length, controls and lone surrogates are refused.</summary>
    private static readonly Dictionary<string, string> RateLimitKeys = new()
    {
        ["nul"] = "a\0b",
        ["newline"] = "a\nb",
        ["delete-char"] = "a\u007Fb",
        ["c1-control"] = "a\u0085b",
        ["lone-high-surrogate"] = "a\uD800",
        ["lone-low-surrogate"] = "\uDC00a",
        ["257-characters"] = new string('k', 257),
        ["empty"] = "",
    };

    private readonly Hostile _hostile = new();

    public static TheoryData<string> EntityKeyCases => new(EntityKeys.Keys);

    public static TheoryData<string> RateLimitKeyCases => new(RateLimitKeys.Keys);

    [Theory]
    [MemberData(nameof(EntityKeyCases))]
    public async Task Cast_HostileKey_Returns400BadKey(string name)
    {
        var request = Hostile.Request("5");

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", EntityKeys[name], "increment").AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Equal("urn:serverless-genserver:problem:bad-key", problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("slash")]
    [InlineData("nul")]
    [InlineData("lone-high-surrogate")]
    [InlineData("257-characters")]
    public async Task CallGetAndDelete_HostileKey_Return400BadKey(string name)
    {
        var key = EntityKeys[name];
        var call = Hostile.Request(body: null);
        var get = Hostile.Request(body: null);
        var delete = Hostile.Request(body: null);

        var answers = new[]
        {
            await _hostile.Servers.Call(call, _hostile.Clients.Client.Object, "counter", key, "value").AnswerAsync(call),
            await _hostile.Servers.Get(get, _hostile.Clients.Client.Object, "counter", key).AnswerAsync(get),
            await _hostile.Servers.Delete(delete, _hostile.Clients.Client.Object, "counter", key).AnswerAsync(delete),
        };

        Assert.All(answers, a => Assert.Equal("urn:serverless-genserver:problem:bad-key",
            _hostile.AssertRefused(a, StatusCodes.Status400BadRequest).GetProperty("type").GetString()));
    }

    [Theory]
    [MemberData(nameof(RateLimitKeyCases))]
    public async Task RateLimitCheck_HostileKey_Returns400BadKey(string name)
    {
        var request = Hostile.Request(body: null);

        var answer = await _hostile.RateLimit.Check(request, _hostile.Clients.Client.Object, RateLimitKeys[name]).AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Equal("urn:serverless-genserver:problem:bad-key", problem.GetProperty("type").GetString());
    }

    [Theory]
    // Unknown servers.
    [InlineData("nope", "increment")]
    [InlineData("", "increment")]
    [InlineData("counter@x", "increment")]
    [InlineData("counter ", "increment")]
    [InlineData("counters", "increment")]
    [InlineData("calls", "increment")]
    // Unknown or empty operations.
    [InlineData("counter", "")]
    [InlineData("counter", " ")]
    [InlineData("counter", "explode")]
    [InlineData("counter", "increment ")]
    [InlineData("counter", "incre\0ment")]
    // The entity runtime's own delete and $-prefixed names are not client operations.
    [InlineData("counter", "delete")]
    [InlineData("counter", "$delete")]
    [InlineData("counter", "$increment")]
    [InlineData("counter", "$once")]
    // Members of the class that are not messages.
    [InlineData("counter", "ToString")]
    [InlineData("counter", "GetType")]
    [InlineData("counter", "GetHashCode")]
    [InlineData("counter", "RunAsync")]
    [InlineData("counter", "Init")]
    [InlineData("counter", "InitializeState")]
    [InlineData("counter", "get_State")]
    [InlineData("counter", "SendAfter")]
    // handle_info messages: the servers' own, never offered to clients.
    [InlineData("ticker", "tick")]
    [InlineData("ratelimiter", "refill")]
    [InlineData("cache", "cleanup")]
    [InlineData("cache", "warmUp")]
    // Calls sent as casts: their reply would be thrown away.
    [InlineData("counter", "value")]
    [InlineData("cache", "get")]
    [InlineData("cache", "stats")]
    [InlineData("ticker", "status")]
    [InlineData("ratelimiter", "check")]
    public async Task Cast_UnknownServerOrNonClientOperation_Returns404(string server, string operation)
    {
        var request = Hostile.Request(body: null);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, server, "k1", operation).AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status404NotFound);
        Assert.Equal("urn:serverless-genserver:problem:not-found", problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("ticker", "tick")]
    [InlineData("ratelimiter", "refill")]
    [InlineData("cache", "cleanup")]
    [InlineData("cache", "warmUp")]
    [InlineData("counter", "delete")]
    [InlineData("counter", "")]
    [InlineData("nope", "value")]
    public async Task Call_HandleInfoOrUnknownOperation_Returns404(string server, string operation)
    {
        var request = Hostile.Request(body: null);

        var answer = await _hostile.Servers.Call(request, _hostile.Clients.Client.Object, server, "0", operation).AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status404NotFound);
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("")]
    [InlineData("counter/x")]
    public async Task GetDeleteAndList_UnknownServer_Return404(string server)
    {
        var get = Hostile.Request(body: null);
        var delete = Hostile.Request(body: null);
        var list = Hostile.Request(body: null);

        var answers = new[]
        {
            await _hostile.Servers.Get(get, _hostile.Clients.Client.Object, server, "k1").AnswerAsync(get),
            await _hostile.Servers.Delete(delete, _hostile.Clients.Client.Object, server, "k1").AnswerAsync(delete),
            await _hostile.Servers.List(list, _hostile.Clients.Client.Object, server).AnswerAsync(list),
        };

        Assert.All(answers, a => _hostile.AssertRefused(a, StatusCodes.Status404NotFound));
    }
}
