using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.GenServers;

public sealed class EntityKeyTests
{
    [Theory]
    [InlineData("user-42")]
    [InlineData("a.b_c:d~e+f=g!h$i*j,k;l'm(n)")]
    [InlineData("ユーザー42")]
    [InlineData("Ünïcödé")]
    [InlineData("\U0001D400bc")]
    public void Problem_AllowedKey_IsNull(string key) => Assert.Null(EntityKey.Problem(key));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a/b", "position 1")]
    [InlineData("a\\b", "position 1")]
    [InlineData("a#b", "position 1")]
    [InlineData("a?b", "position 1")]
    [InlineData("a@b", "position 1")]
    [InlineData("a%2Fb", "position 1")]
    [InlineData("a b", "position 1")]
    [InlineData("a\tb", "position 1")]
    [InlineData("a\u0000b", "position 1")]
    [InlineData("ab\u202E", "position 2")]
    [InlineData("ab\u200B", "position 2")]
    [InlineData("a\uD800", "position 1")]
    [InlineData("\uDC00a", "position 0")]
    [InlineData("😀", "position 0")]
    public void Problem_DisallowedKey_SaysWhy(string key, string expected) =>
        Assert.Contains(expected, EntityKey.Problem(key), StringComparison.Ordinal);

    [Theory]
    [InlineData("user\u3164", 4)]
    [InlineData("\u115Fuser", 0)]
    [InlineData("us\u1160er", 2)]
    [InlineData("user\uFFA0", 4)]
    [InlineData("us\u034Fer", 2)]
    [InlineData("user\uFE0F", 4)]
    [InlineData("user\U000E0041", 4)]
    public void Problem_InvisibleLetterOrMark_IsRefusedAtItsPosition(string key, int position)
    {
        Assert.Equal(position, EntityKey.FindInvisible(key));
        Assert.Contains($"invisible or format character at position {position}", EntityKey.Problem(key), StringComparison.Ordinal);
    }

    [Fact]
    public void Normalize_NfdKey_IsNfcAndThenAllowed()
    {
        var nfd = "cafe\u0301";

        Assert.Contains("NFC", EntityKey.Problem(nfd), StringComparison.Ordinal);
        Assert.Equal("caf\u00e9", EntityKey.Normalize(nfd));
        Assert.Null(EntityKey.Problem(EntityKey.Normalize(nfd)));
    }

    [Fact]
    public void Normalize_LoneSurrogate_IsLeftForProblemToRefuse()
    {
        Assert.Equal("a\uD800", EntityKey.Normalize("a\uD800"));
        Assert.NotNull(EntityKey.Problem("a\uD800"));
    }

    [Fact]
    public void Problem_LengthLimit_IsInclusive()
    {
        Assert.Null(EntityKey.Problem(new string('k', EntityKey.MaxLength)));
        Assert.Contains("longer than 256", EntityKey.Problem(new string('k', EntityKey.MaxLength + 1)), StringComparison.Ordinal);
    }
}
