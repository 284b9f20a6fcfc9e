using System.Text;
using System.Text.Json;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Entities.Tests.GenServers;

/// <summary>The compact set of every key within its window: expiry slices, the bound, and the stored form.</summary>
public sealed class SeenKeysTests
{
    private const long Now = 1_800_000_000_000;
    private const long Window = 30 * 60_000;

    [Theory]
    [InlineData(Window)]
    [InlineData(60_000)]
    [InlineData(24L * 60 * 60_000)]
    [InlineData(1)]
    public void ExpiryOf_AnyWindow_IsAtLeastTheWindowAndAtMostA32ndLonger(long windowMs)
    {
        for (var offset = 0L; offset < 5_000; offset += 617)
        {
            var expiry = SeenKeys.ExpiryOf(Now + offset, windowMs);

            Assert.InRange(expiry - (Now + offset), windowMs, windowMs + Math.Max(1_000, windowMs / 32));
        }
    }

    [Fact]
    public void Contains_KeyAdded_TrueUntilItsSliceExpires()
    {
        var seen = new SeenKeys();
        seen.Add("order-42", Now, Window);
        var expiry = SeenKeys.ExpiryOf(Now, Window);

        Assert.True(seen.Contains("order-42", Now));
        Assert.True(seen.Contains("order-42", expiry - 1));
        Assert.False(seen.Contains("order-42", expiry));
        Assert.False(seen.Contains("order-43", Now));
        Assert.False(seen.Contains("ORDER-42", Now));
    }

    [Fact]
    public void Add_AfterAnExpiry_DropsTheExpiredSlices()
    {
        var seen = new SeenKeys();
        seen.Add("short", Now, 60_000);
        seen.Add("long", Now, Window);

        seen.Add("new", SeenKeys.ExpiryOf(Now, 60_000), Window);

        Assert.Equal(2, seen.Count);
        Assert.False(seen.Contains("short", Now));
        Assert.True(seen.Contains("long", Now));
    }

    [Fact]
    public void Add_PastMaxKeys_ForgetsTheSoonestToExpireOnly()
    {
        var seen = new SeenKeys();
        for (var i = 0; i <= SeenKeys.MaxKeys; i++)
        {
            seen.Add($"k{i}", Now + i, Window);
        }

        Assert.Equal(SeenKeys.MaxKeys, seen.Count);
        Assert.False(seen.Contains("k0", Now));
        Assert.True(seen.Contains("k1", Now));
        Assert.True(seen.Contains($"k{SeenKeys.MaxKeys}", Now));
    }

    [Fact]
    public void WriteThenRead_KeepsEveryKeyAndExpiry_AtEightBytesAKey()
    {
        var seen = new SeenKeys();
        for (var i = 0; i < 1_000; i++)
        {
            seen.Add($"key-{i}", Now + i, i % 2 == 0 ? Window : 60_000);
        }

        var json = Write(seen);
        var read = SeenKeys.Read(JsonDocument.Parse(json).RootElement);

        Assert.Equal(1_000, read.Count);
        Assert.All(Enumerable.Range(0, 1_000), i => Assert.True(read.Contains($"key-{i}", Now + 1_000)));
        Assert.False(read.Contains("key-1", SeenKeys.ExpiryOf(Now + 1, 60_000)));
        Assert.True(read.Contains("key-0", SeenKeys.ExpiryOf(Now + 1, 60_000)));
        var keyChars = JsonDocument.Parse(json).RootElement.EnumerateArray().Sum(s => s.GetProperty("keys").GetString()!.Length);
        Assert.InRange(keyChars, 1_000 * 8 * 4 / 3, (1_000 * 8 * 4 / 3) + 100);
        Assert.Equal(json, Write(read));
    }

    [Theory]
    [InlineData("""[{"exp":1,"keys":"AAAA"}]""")]
    [InlineData("""[{"exp":1}]""")]
    [InlineData("""[{"keys":"AAAAAAAAAAA"}]""")]
    public void Read_MalformedSlice_Throws(string json) =>
        Assert.ThrowsAny<Exception>(() => SeenKeys.Read(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void From_FullRecordsOfAnOlderLedger_KeepsTheirOwnExpiry()
    {
        var seen = SeenKeys.From([new OnceEntry("a", Now, Now + 1_000, "fp"), new OnceEntry("b", Now, Now + Window, "fp")]);

        Assert.True(seen.Contains("a", Now + 999));
        Assert.False(seen.Contains("a", Now + 1_000));
        Assert.True(seen.Contains("b", Now + 1_000));
    }

    private static string Write(SeenKeys seen)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            seen.Write(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
