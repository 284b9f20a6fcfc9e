using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Entities;
using Moq;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// Look-alike keys: NFC and NFD spellings of one key reach one server and one rate-limit bucket; keys holding
/// characters that render as nothing (format characters, Hangul fillers, variation selectors) are refused with 400.
/// </summary>
public sealed class HostileKeyNormalizationTests
{
    private const string Nfc = "caf\u00e9-\u00c5ngstr\u00f6m";
    private readonly Hostile _hostile = new();

    public static TheoryData<string> Invisible => new()
    {
        "user\u3164",       // HANGUL FILLER, a letter
        "\u115Fuser",       // HANGUL CHOSEONG FILLER
        "us\u1160er",       // HANGUL JUNGSEONG FILLER
        "user\uFFA0",       // HALFWIDTH HANGUL FILLER
        "us\u034Fer",       // COMBINING GRAPHEME JOINER, a mark
        "user\uFE0F",       // VARIATION SELECTOR-16
        "us\u180Ber",       // MONGOLIAN FREE VARIATION SELECTOR
        "us\u200Ber",       // ZERO WIDTH SPACE
        "us\u2060er",       // WORD JOINER
        "user\u202E",       // RIGHT-TO-LEFT OVERRIDE
        "us\u00ADer",       // SOFT HYPHEN
        "user\U000E0041",   // TAG LATIN CAPITAL LETTER A
    };

    [Theory]
    [MemberData(nameof(Invisible))]
    public async Task Cast_KeyWithInvisibleCharacter_Returns400(string key)
    {
        var request = Hostile.Request(body: null);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", key, "increment").AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Equal("urn:serverless-genserver:problem:bad-key", problem.GetProperty("type").GetString());
    }

    [Theory]
    [MemberData(nameof(Invisible))]
    public async Task RateLimit_KeyWithInvisibleCharacter_Returns400(string key)
    {
        var request = Hostile.Request(body: null);

        var answer = await _hostile.RateLimit.Check(request, _hostile.Clients.Client.Object, key).AnswerAsync(request);

        Assert.Contains("invisible", _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NormalizationForm.FormC)]
    [InlineData(NormalizationForm.FormD)]
    public async Task Cast_NfcOrNfdKey_ReachesTheNfcServer(NormalizationForm form)
    {
        var request = Hostile.Request(body: null);
        _hostile.Clients.Entities.Setup(e => e.SignalEntityAsync(new EntityInstanceId("counter", Nfc), "Increment", null, null, It.IsAny<CancellationToken>()))
            .Returns(Task.CompletedTask).Verifiable();

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", Nfc.Normalize(form), "increment").AnswerAsync(request);

        Assert.Equal(202, answer.Status);
        _hostile.Clients.Entities.Verify();
    }

    [Theory]
    [InlineData(NormalizationForm.FormC)]
    [InlineData(NormalizationForm.FormD)]
    public async Task RateLimit_NfcOrNfdKey_ChecksTheNfcBucketOnItsShard(NormalizationForm form)
    {
        var request = Hostile.Request(body: null);
        var (scheduled, _) = _hostile.Clients.ExpectCall(Clients.Completed(CallOutcome.Replied(
            JsonSerializer.SerializeToElement(new CheckReply(true, 9, 10, 0, 500), GenServerJson.Options))));

        var answer = await _hostile.RateLimit.Check(request, _hostile.Clients.Client.Object, Nfc.Normalize(form)).AnswerAsync(request);

        Assert.Equal(200, answer.Status);
        Assert.Equal(RateLimitShards.For(Nfc, new RateLimiterOptions().Shards).ToString(System.Globalization.CultureInfo.InvariantCulture), scheduled().Key);
        Assert.Equal(Nfc, scheduled().Input!.Value.GetProperty("key").GetString());
    }

    [Fact]
    public void NfdKey_IsRefusedWhereItIsNotNormalized()
    {
        // The signal queue and other back doors take keys as they are: an NFD key is refused, never a second server.
        Assert.Contains("NFC", EntityKey.Problem(Nfc.Normalize(NormalizationForm.FormD)), StringComparison.Ordinal);
        Assert.Null(EntityKey.Problem(Nfc));
    }
}
