using System.Text;
using Microsoft.AspNetCore.Http;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.Tests.Support;

namespace ServerlessGenServer.Functions.Tests.Hostile;

/// <summary>
/// Bodies that must never reach an entity: malformed or truncated JSON, wrong types, numbers out of range, non-JSON
/// number literals, deep nesting, unknown and duplicate members, oversized bodies and the wrong media type.
/// Each gets a 4xx problem+json and no call to the Durable client.
/// </summary>
public sealed class HostileBodyTests
{
    private readonly Hostile _hostile = new();

    [Theory]
    // Malformed or truncated JSON.
    [InlineData("{", "malformed")]
    [InlineData("5,", "malformed")]
    [InlineData("\"5", "malformed")]
    [InlineData("[1,", "malformed")]
    [InlineData("tru", "malformed")]
    [InlineData("5 6", "malformed")]
    [InlineData("05", "malformed")]
    [InlineData("+5", "malformed")]
    [InlineData("0x10", "malformed")]
    [InlineData("/* five */ 5", "malformed")]
    [InlineData("5 // five", "malformed")]
    // Wrong types for an integer.
    [InlineData("\"5\"", "integer")]
    [InlineData("true", "integer")]
    [InlineData("[5]", "integer")]
    [InlineData("{\"amount\":5}", "integer")]
    [InlineData("{}", "integer")]
    [InlineData("null", "integer")]
    // Out of range, or not an integer.
    [InlineData("0", "between")]
    [InlineData("-1", "between")]
    [InlineData("-9223372036854775808", "between")]
    [InlineData("9223372036854775808", "integer")]
    [InlineData("1e400", "integer")]
    [InlineData("1.5", "integer")]
    [InlineData("1e3", "integer")]
    [InlineData("5.0", "integer")]
    // Not JSON numbers at all.
    [InlineData("NaN", "malformed")]
    [InlineData("Infinity", "malformed")]
    [InlineData("-Infinity", "malformed")]
    [InlineData("\"NaN\"", "integer")]
    [InlineData("\"Infinity\"", "integer")]
    public async Task CastIncrement_HostileBody_Returns400(string body, string why)
    {
        var request = Hostile.Request(body);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Equal("urn:serverless-genserver:problem:bad-input", problem.GetProperty("type").GetString());
        Assert.Contains(why == "between" ? "between" : "increment", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("counter", "increment", "\"5\"")]
    [InlineData("counter", "increment", "1e400")]
    [InlineData("counter", "increment", "NaN")]
    [InlineData("counter", "value", "5")]
    [InlineData("counter", "value", "{}")]
    [InlineData("cache", "get", "5")]
    [InlineData("cache", "get", "\"\"")]
    [InlineData("cache", "get", "{\"key\":\"k\"}")]
    [InlineData("cache", "get", "\"\\uD800\"")]
    [InlineData("ticker", "status", "null")]
    public async Task Call_HostileBody_Returns400(string server, string operation, string body)
    {
        var request = Hostile.Request(body);

        var answer = await _hostile.Servers.Call(request, _hostile.Clients.Client.Object, server, "0", operation).AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Equal("urn:serverless-genserver:problem:bad-input", problem.GetProperty("type").GetString());
    }

    [Theory]
    // Unknown members, missing or null required members, out-of-range members.
    [InlineData("ticker", "start", "{\"intervalMs\":1000,\"extra\":1}")]
    [InlineData("ticker", "start", "{\"intervalMs\":1000,\"maxTicks\":0}")]
    [InlineData("ticker", "start", "{\"intervalMs\":999}")]
    [InlineData("ticker", "start", "{\"intervalMs\":31622400001}")]
    [InlineData("ticker", "start", "{}")]
    [InlineData("ticker", "start", "1000")]
    [InlineData("ticker", "start", "{\"intervalMs\":\"1000\"}")]
    [InlineData("cache", "put", "{\"key\":\"k\",\"value\":1,\"ttl\":5}")]
    [InlineData("cache", "put", "{\"key\":\"k\"}")]
    [InlineData("cache", "put", "{\"key\":\"k\",\"value\":null}")]
    [InlineData("cache", "put", "{\"key\":\"\",\"value\":1}")]
    [InlineData("cache", "put", "{\"value\":1}")]
    [InlineData("cache", "put", "{\"key\":\"k\",\"value\":1,\"ttlMs\":0}")]
    [InlineData("cache", "put", "{\"key\":\"k\",\"value\":1,\"ttlMs\":2592000001}")]
    [InlineData("cache", "put", "{\"key\":\"\\uD800\",\"value\":1}")]
    [InlineData("cache", "put", "{\"key\":\"\\uDC00x\",\"value\":1}")]
    [InlineData("cache", "put", "[\"k\",1]")]
    // Duplicate members: which one wins would depend on the parser, so neither does.
    [InlineData("ticker", "start", "{\"intervalMs\":1000,\"intervalMs\":60000}")]
    [InlineData("cache", "put", "{\"key\":\"a\",\"key\":\"b\",\"value\":1}")]
    [InlineData("cache", "put", "{\"key\":\"a\",\"KEY\":\"b\",\"value\":1}")]
    // Input for an operation that takes none.
    [InlineData("counter", "reset", "5")]
    [InlineData("counter", "reset", "{}")]
    [InlineData("counter", "reset", "null")]
    [InlineData("ticker", "stop", "true")]
    public async Task Cast_HostileObjectOrNoInputBody_Returns400(string server, string operation, string body)
    {
        var request = Hostile.Request(body);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, server, "k1", operation).AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Equal("urn:serverless-genserver:problem:bad-input", problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(17)]
    [InlineData(64)]
    [InlineData(10_000)]
    public async Task CastPut_DeeplyNestedValue_Returns400(int depth)
    {
        var value = new string('[', depth) + new string(']', depth);
        var request = Hostile.Request($"{{\"key\":\"k\",\"value\":{value}}}");

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "cache", "k1", "put").AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
        Assert.Contains("depth", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CastPut_InvalidUtf8InAString_Returns400()
    {
        byte[] body = [.. "{\"key\":\"k"u8, 0xFF, 0xFE, .. "\",\"value\":1}"u8];
        var request = Hostile.RawRequest(body);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "cache", "k1", "put").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status400BadRequest);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Cast_OneMegabyteBody_Returns413(bool chunked, bool lyingContentLength)
    {
        // A valid JSON number padded with whitespace: only its size is wrong.
        var body = Encoding.UTF8.GetBytes("1" + new string(' ', 1024 * 1024 - 1));
        var request = Hostile.RawRequest(body, chunked: chunked);
        if (lyingContentLength)
        {
            request.ContentLength = 1;
        }

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        var problem = _hostile.AssertRefused(answer, StatusCodes.Status413PayloadTooLarge);
        Assert.Contains($"{OperationInput.MaxBodyBytes} bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/xml")]
    [InlineData("application/jsonx")]
    [InlineData("json")]
    public async Task Cast_BodyWithMissingOrWrongContentType_Returns415(string? contentType)
    {
        var request = Hostile.Request("5", contentType);

        var answer = await _hostile.Servers.Cast(request, _hostile.Clients.Client.Object, "counter", "c1", "increment").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status415UnsupportedMediaType);
    }

    [Fact]
    public async Task Call_BodyWithoutContentType_Returns415()
    {
        var request = Hostile.Request("{\"key\":\"u\",\"value\":1}", contentType: null);

        var answer = await _hostile.Servers.Call(request, _hostile.Clients.Client.Object, "cache", "c1", "get").AnswerAsync(request);

        _hostile.AssertRefused(answer, StatusCodes.Status415UnsupportedMediaType);
    }
}
