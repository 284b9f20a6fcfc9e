using System.Net;
using System.Text.Json;
using ServerlessGenServer.EndToEnd.Tests.Support;
using static ServerlessGenServer.EndToEnd.Tests.Support.Answers;

namespace ServerlessGenServer.EndToEnd.Tests;

/// <summary>The README's examples and every status code of the API, over a real socket to the local host.</summary>
[Collection(LocalHostGroup.Name)]
public sealed class ApiEndToEndTests(LocalHostFixture fixture)
{
    private readonly HttpClient _http = fixture.Http;

    [Fact]
    public async Task Health_Get_200Healthy()
    {
        var json = await (await _http.GetAsync("api/health")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal("healthy", json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ReadmeCounterExample_CastsCallStateListTimeoutAndStop_AnswerAsTheReadmeShows()
    {
        var accepted = await (await _http.PostAsync("api/servers/counter/orders/cast/increment", null)).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(32, accepted.GetProperty("requestId").GetString()!.Length);
        await (await _http.PostAsync("api/servers/counter/orders/cast/increment", Json("5"))).JsonAsync(HttpStatusCode.Accepted);
        await (await _http.PostAsync("api/servers/counter/orders-eu/cast/increment", null)).JsonAsync(HttpStatusCode.Accepted);

        // `value` is read-only: it answers from the last committed state, without the casts still queued, so it reaches 6 once both ran.
        var value = await Eventually.WaitForAsync(
            async () => await (await _http.PostAsync("api/servers/counter/orders/call/value", null)).JsonAsync(HttpStatusCode.OK),
            v => v.GetProperty("result").GetInt64() == 6, "both casts committed");
        Assert.Equal(6, value.GetProperty("result").GetInt64());

        var state = await (await _http.GetAsync("api/servers/counter/orders")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, state.GetProperty("state").GetProperty("value").GetInt64());
        Assert.Equal("orders", state.GetProperty("key").GetString());

        var list = await Eventually.WaitForAsync(
            async () => await (await _http.GetAsync("api/servers/counter?prefix=orders")).JsonAsync(HttpStatusCode.OK),
            l => l.GetProperty("items").GetArrayLength() == 2, "both counters listed");
        Assert.Equal(["orders", "orders-eu"], list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()).Order());

        // A call that is not read-only (cache `get` touches the LRU order) and gets no reply within 1 ms: 202, then the reply at Location.
        await (await _http.PostAsync("api/servers/cache/e2e-pending/cast/put", Json("""{"key":"k","value":6}"""))).JsonAsync(HttpStatusCode.Accepted);
        await Eventually.WaitForAsync(
            async () => await (await _http.PostAsync("api/servers/cache/e2e-pending/call/get", Json("\"k\""))).JsonAsync(HttpStatusCode.OK),
            v => v.GetProperty("result").ValueKind == JsonValueKind.Number, "the put applied");
        var pending = await _http.PostAsync("api/servers/cache/e2e-pending/call/get?timeoutMs=1", Json("\"k\""));
        var pendingBody = await pending.JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("pending", pendingBody.GetProperty("status").GetString());
        Assert.Equal("1", pending.Headers.GetValues("Retry-After").Single());
        var statusUrl = new Uri(pendingBody.GetProperty("statusUrl").GetString()!);
        Assert.Equal(_http.BaseAddress!.Port, statusUrl.Port);
        Assert.Equal(statusUrl.PathAndQuery, pending.Headers.Location!.OriginalString);
        var reply = await Eventually.WaitForAsync(() => _http.GetAsync(statusUrl.PathAndQuery), r => r.StatusCode == HttpStatusCode.OK, "the late reply");
        Assert.Equal(6, (await reply.JsonAsync(HttpStatusCode.OK)).GetProperty("result").GetInt64());
        var again = await (await _http.GetAsync(statusUrl.PathAndQuery)).JsonAsync(HttpStatusCode.OK); // retained, not read-once
        Assert.Equal(6, again.GetProperty("result").GetInt64());

        // A read-only call has no orchestration to wait for: timeoutMs does not apply, the answer is 200 at once.
        var readOnly = await (await _http.PostAsync("api/servers/counter/orders/call/value?timeoutMs=1", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, readOnly.GetProperty("result").GetInt64());

        var bad = await (await _http.PostAsync("api/servers/counter/orders/cast/increment", Json("\"five\""))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("integer", bad.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await (await _http.PostAsync("api/servers/counter/orders/cast/value", null)).ProblemAsync(HttpStatusCode.NotFound);
        await (await _http.PostAsync("api/servers/nope/orders/cast/increment", null)).ProblemAsync(HttpStatusCode.NotFound);

        await (await _http.DeleteAsync("api/servers/counter/orders")).JsonAsync(HttpStatusCode.Accepted);
        await Eventually.WaitForAsync(() => _http.GetAsync("api/servers/counter/orders"), r => r.StatusCode == HttpStatusCode.NotFound, "the stop");
    }

    [Fact]
    public async Task RateLimit_CostTenTwice_200Then429WithRetryAfter()
    {
        var allowed = await _http.PostAsync("api/ratelimit/e2e-user?cost=10", null);
        var body = await allowed.JsonAsync(HttpStatusCode.OK);
        Assert.True(body.GetProperty("allowed").GetBoolean());
        Assert.Equal("\"default\";q=10;w=5", allowed.Headers.GetValues("RateLimit-Policy").Single());

        var denied = await _http.PostAsync("api/ratelimit/e2e-user?cost=10", null); // 2 tokens a second refill: not 10 yet
        var problem = await denied.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.False(problem.GetProperty("allowed").GetBoolean());
        Assert.True(int.Parse(denied.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);

        await (await _http.PostAsync("api/ratelimit/e2e-user?cost=11", null)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Body_LargerThan64KiB_413()
    {
        var body = "[" + new string(' ', 64 * 1024) + "1]";

        await (await _http.PostAsync("api/servers/counter/big/cast/increment", Json(body))).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        await (await _http.GetAsync("api/servers/counter/big")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Body_NotJson_415()
    {
        using var text = new StringContent("5", System.Text.Encoding.UTF8, "text/plain");

        await (await _http.PostAsync("api/servers/counter/plain/cast/increment", text)).ProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task IdempotencyKey_ReusedWithAnotherInput_422()
    {
        using var first = new HttpRequestMessage(HttpMethod.Post, "api/servers/cache/once/call/get")
        {
            Content = Json("\"a\""),
            Headers = { { "Idempotency-Key", "e2e-422" } },
        };
        await (await _http.SendAsync(first)).JsonAsync(HttpStatusCode.OK);
        using var reused = new HttpRequestMessage(HttpMethod.Post, "api/servers/cache/once/call/get")
        {
            Content = Json("\"b\""),
            Headers = { { "Idempotency-Key", "e2e-422" } },
        };

        var problem = await (await _http.SendAsync(reused)).ProblemAsync(HttpStatusCode.UnprocessableEntity);

        Assert.EndsWith("idempotency-key-reused", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/servers/counter/q/call/value?timeoutMs=0")]
    [InlineData("api/servers/counter/q/call/value?timeoutMs=1&timeoutMs=2")]
    [InlineData("api/servers/counter/q/call/value?timeoutMs=abc")]
    public async Task Call_BadTimeout_400(string url)
    {
        await (await _http.PostAsync(url, null)).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task WrongMethod_405WithAllow()
    {
        var answer = await _http.PutAsync("api/servers/counter/x", null);

        await answer.ProblemAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Equal(["DELETE", "GET"], answer.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task UnknownRoute_404()
    {
        await (await _http.GetAsync("api/nothing/here/at/all")).ProblemAsync(HttpStatusCode.NotFound);
        await (await _http.GetAsync("health")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Routes_AreThoseOfFunctionsMetadata()
    {
        var routes = fixture.Host.Router.Routes.Select(r => $"{string.Join(",", r.Methods)} {r.Template}").Order(StringComparer.Ordinal);

        Assert.Equal(
        [
            "DELETE api/servers/{server}/{key}",
            "GET api/calls/{instanceId}",
            "GET api/health",
            "GET api/servers/{server}",
            "GET api/servers/{server}/{key}",
            "POST api/ratelimit/{key}",
            "POST api/servers/{server}/{key}/call/{operation}",
            "POST api/servers/{server}/{key}/cast/{operation}",
        ], routes);
    }

    internal static async Task<long?> CounterAsync(HttpClient http, string key)
    {
        var answer = await http.GetAsync($"api/servers/counter/{key}");
        return answer.StatusCode == HttpStatusCode.OK
            ? (await answer.JsonAsync(HttpStatusCode.OK)).GetProperty("state").GetProperty("value").GetInt64()
            : null;
    }

    internal static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
