using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Entities.Tests.RateLimiting;

public sealed class RateLimitKeyTests
{
    [Theory]
    [InlineData("user-42")]
    [InlineData("api key / with spaces?#@%")]
    [InlineData("192.168.0.1")]
    [InlineData("😀 rocket")]
    [InlineData("ユーザー42")]
    public void Problem_AnyPrintableText_IsNull(string key) => Assert.Null(RateLimitKey.Problem(key));

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("a\u0000b", "control character at position 1")]
    [InlineData("ab\tc", "control character at position 2")]
    [InlineData("\u007F", "control character at position 0")]
    [InlineData("a\u0085", "control character at position 1")]
    public void Problem_BadKey_SaysWhy(string? key, string expected) =>
        Assert.Contains(expected, RateLimitKey.Problem(key), StringComparison.Ordinal);

    [Fact]
    public void Problem_LoneSurrogates_AreRejected()
    {
        // Built in code: test data attributes would replace a lone surrogate before the test sees it.
        Assert.Contains("lone surrogate at position 1", RateLimitKey.Problem("a" + '\uD800'), StringComparison.Ordinal);
        Assert.Contains("lone surrogate at position 0", RateLimitKey.Problem('\uDC00' + "a"), StringComparison.Ordinal);
        Assert.Contains("lone surrogate at position 1", RateLimitKey.Problem("a" + '\uD800' + "b"), StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_LengthLimit_IsInclusive()
    {
        Assert.Null(RateLimitKey.Problem(new string('k', 256)));
        Assert.Contains("longer than 256", RateLimitKey.Problem(new string('k', 257)), StringComparison.Ordinal);
    }
}
