using ServerlessGenServer.Engine.Tests.Infrastructure;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// A handful of the hostile-input suite's cases on the real engine: each is refused with a 4xx problem+json, and the
/// counter they aim at keeps its state. The full suite is in ServerlessGenServer.Functions.Tests/Hostile.
/// </summary>
[Collection(EngineTestGroup.Name)]
public sealed class HostileInputEngineTests(EngineFixture engine)
{
    private const string Key = "guarded";

    [Fact]
    public async Task HostileRequests_RefusedWith4xx_CounterStateUnchanged()
    {
        var host = await engine.HostForAsync(this);
        var http = new GenServerHttp(host.Registry, host.Client);
        await http.CastAsync("counter", Key, "increment", "7");
        await Eventually.WaitForAsync(() => http.StateAsync("counter", Key), s => s?.GetProperty("value").GetInt64() == 7, "the seed");

        var refused = new (string Case, int Status, Func<Task<HttpAnswer>> Send)[]
        {
            ("zero", 400, () => http.CastAsync("counter", Key, "increment", "0")),
            ("negative", 400, () => http.CastAsync("counter", Key, "increment", "-1")),
            ("above long.MaxValue", 400, () => http.CastAsync("counter", Key, "increment", "9223372036854775808")),
            ("1e400", 400, () => http.CastAsync("counter", Key, "increment", "1e400")),
            ("fraction", 400, () => http.CallAsync("counter", Key, "increment", "1.5")),
            ("NaN", 400, () => http.CastAsync("counter", Key, "increment", "NaN")),
            ("string", 400, () => http.CastAsync("counter", Key, "increment", "\"5\"")),
            ("empty object", 400, () => http.CastAsync("counter", Key, "increment", "{}")),
            ("truncated", 400, () => http.CastAsync("counter", Key, "increment", "[1,")),
            ("input to reset", 400, () => http.CastAsync("counter", Key, "reset", "0")),
            ("delete as an operation", 404, () => http.CastAsync("counter", Key, "delete")),
            ("$delete", 404, () => http.CallAsync("counter", Key, "$delete")),
            ("call sent as cast", 404, () => http.CastAsync("counter", Key, "value")),
            ("timeout out of range", 400, () => http.CallAsync("counter", Key, "reset", query: "?timeoutMs=0")),
            ("one megabyte", 413, () => http.CastAsync("counter", Key, "increment", "1" + new string(' ', 1024 * 1024))),
            // Reaches the entity and fails there: the overflow is rolled back.
            ("overflow", 422, () => http.CallAsync("counter", Key, "increment", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        };
        var answers = new List<(string Case, int Expected, HttpAnswer Answer)>();
        foreach (var (name, status, send) in refused)
        {
            answers.Add((name, status, await send()));
        }

        // A marker after them all: once it shows, anything queued before it from this client would have run too.
        await http.CastAsync("counter", Key, "increment", "1");
        var state = await Eventually.WaitForAsync(
            () => http.StateAsync("counter", Key), s => s?.GetProperty("value").GetInt64() >= 8, "the marker");
        var value = await http.CallAsync("counter", Key, "value");

        Assert.All(answers, a =>
        {
            Assert.True(a.Expected == a.Answer.Status, $"{a.Case}: expected {a.Expected}, got {a.Answer}");
            Assert.Equal("application/problem+json", a.Answer.ContentType);
        });
        Assert.Equal(8, state!.Value.GetProperty("value").GetInt64());
        Assert.Equal(8, value.Body.GetProperty("result").GetInt64());
    }
}
