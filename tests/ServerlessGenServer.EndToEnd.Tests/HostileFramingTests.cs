using System.Net;
using System.Text;
using ServerlessGenServer.EndToEnd.Tests.Support;

namespace ServerlessGenServer.EndToEnd.Tests;

/// <summary>
/// Requests framed to hurt, written byte for byte on a raw socket. Each gets a clear 4xx or a closed connection, never a
/// hang or a 5xx, and leaves the counter it aimed at as it was; the host answers the next request normally.
/// </summary>
[Collection(LocalHostGroup.Name)]
public sealed class HostileFramingTests(LocalHostFixture fixture)
{
    private readonly int _port = fixture.Host.BaseAddress.Port;

    [Fact]
    public async Task ContentLength_ShorterThanBody_TheDeclaredBodyOnlyAndTheRestRefused()
    {
        var answer = await RawHttp.SendAsync(_port,
            "POST /api/servers/counter/short-cl/cast/increment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
            "Content-Length: 1\r\n\r\n73\r\n\r\n");

        Assert.Equal(202, answer.Status);
        Assert.Contains("HTTP/1.1 400", answer.Text, StringComparison.Ordinal); // "3" is no request line
        Assert.True(answer.Closed, answer.ToString());
        Assert.Equal(7, await Eventually.WaitForAsync(() => ApiEndToEndTests.CounterAsync(fixture.Http, "short-cl"), v => v is not null, "the cast"));
        await HostIsWellAsync();
    }

    [Fact]
    public async Task ContentLength_LongerThanBody_TimesOutWith408AndNothingApplied()
    {
        var answer = await RawHttp.SendAsync(_port,
            [Encoding.ASCII.GetBytes("POST /api/servers/counter/long-cl/cast/increment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
                "Content-Length: 10\r\n\r\n5")],
            quiet: TimeSpan.FromSeconds(20));

        Assert.True(answer.Status is null or 408, answer.ToString());
        Assert.True(answer.Closed, answer.ToString());
        Assert.Null(await ApiEndToEndTests.CounterAsync(fixture.Http, "long-cl"));
        await HostIsWellAsync();
    }

    [Fact]
    public async Task SlowDripBody_TheHostCutsItOff()
    {
        var head = Encoding.ASCII.GetBytes(
            "POST /api/servers/counter/drip/cast/increment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n");
        var drops = Enumerable.Range(0, 40).Select(_ => " "u8.ToArray());

        var answer = await RawHttp.SendAsync(_port, [head, .. drops], pauseBetweenParts: TimeSpan.FromMilliseconds(500), quiet: TimeSpan.FromSeconds(20));

        Assert.True(answer.Status is null or 408, answer.ToString());
        Assert.True(answer.Closed, answer.ToString());
        Assert.Null(await ApiEndToEndTests.CounterAsync(fixture.Http, "drip"));
        await HostIsWellAsync();
    }

    [Fact]
    public async Task ChunkedBody_Over64KiB_413()
    {
        var chunk = new string(' ', 8192);
        var body = new StringBuilder();
        for (var i = 0; i < 10; i++)
        {
            body.Append("2000\r\n").Append(chunk).Append("\r\n");
        }

        var answer = await RawHttp.SendAsync(_port,
            "POST /api/servers/counter/chunked/cast/increment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\n\r\n" + body + "1\r\n5\r\n0\r\n\r\n");

        Assert.Equal(413, answer.Status);
        Assert.Contains("application/problem+json", answer.Text, StringComparison.Ordinal);
        Assert.Null(await ApiEndToEndTests.CounterAsync(fixture.Http, "chunked"));
        await HostIsWellAsync();
    }

    [Fact]
    public async Task ChunkedBody_Small_IsReadLikeAnyOther()
    {
        var answer = await RawHttp.SendAsync(_port,
            "POST /api/servers/counter/chunked-ok/cast/increment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n4\r\n1\r\n2\r\n0\r\n\r\n");

        Assert.Equal(202, answer.Status);
        Assert.Equal(42, await Eventually.WaitForAsync(() => ApiEndToEndTests.CounterAsync(fixture.Http, "chunked-ok"), v => v is not null, "the cast"));
    }

    [Fact]
    public async Task OversizedHeaders_431()
    {
        var answer = await RawHttp.SendAsync(_port,
            $"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Big: {new string('a', 64 * 1024)}\r\n\r\n");

        Assert.Equal(431, answer.Status);
        await HostIsWellAsync();
    }

    [Fact]
    public async Task OversizedUrl_414()
    {
        var answer = await RawHttp.SendAsync(_port,
            $"GET /api/servers/counter/{new string('k', 16 * 1024)} HTTP/1.1\r\nHost: localhost\r\n\r\n");

        Assert.Equal(414, answer.Status);
        await HostIsWellAsync();
    }

    [Theory]
    [InlineData("/api/servers/counter/%FF%FE/cast/increment")] // invalid UTF-8
    [InlineData("/api/servers/counter/a%00b/cast/increment")]
    [InlineData("/api/servers/counter/%2E%2E/cast/increment")]
    [InlineData("/api/servers/counter/a%2Fb/cast/increment")]
    public async Task HostileKey_4xxAndNoState(string path)
    {
        var answer = await RawHttp.SendAsync(_port,
            $"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1\r\nConnection: close\r\n\r\n5");

        Assert.True(answer.Status is >= 400 and < 500, answer.ToString());
        var list = await (await fixture.Http.GetAsync("api/servers/counter")).JsonAsync(HttpStatusCode.OK);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), i => i.GetProperty("key").GetString() is ".." or "a\0b" or "a/b");
    }

    [Fact]
    public async Task DotSegments_ResolvedBeforeRouting_AsByAnyHttpServer()
    {
        var answer = await RawHttp.SendAsync(_port,
            "POST /api/servers/counter/../counter/dots/cast/increment HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
            "Content-Length: 1\r\nConnection: close\r\n\r\n3");

        Assert.Equal(202, answer.Status);
        Assert.Equal(3, await Eventually.WaitForAsync(() => ApiEndToEndTests.CounterAsync(fixture.Http, "dots"), v => v is not null, "the cast"));
    }

    [Fact]
    public async Task DuplicateQueryParameters_400()
    {
        var answer = await RawHttp.SendAsync(_port,
            "POST /api/ratelimit/dup?cost=1&cost=2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        Assert.Equal(400, answer.Status);
    }

    private async Task HostIsWellAsync() =>
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("api/health")).StatusCode);
}
