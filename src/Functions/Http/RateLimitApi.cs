using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// <c>POST /api/ratelimit/{key}?cost=1</c>: one token-bucket check on the key's shard, answered 200 (allowed) or
/// 429 (denied) with the IETF draft's <c>RateLimit-Policy</c> and <c>RateLimit</c> fields, the legacy
/// <c>X-RateLimit-*</c> headers and, on 429, <c>Retry-After</c>.
/// </summary>
public sealed class RateLimitApi(GenServerClient genServers, IOptions<RateLimiterOptions> options, LocalRateLimiter? local = null)
{
    /// <summary>The one quota policy's name in the RateLimit-Policy and RateLimit fields.</summary>
    public const string PolicyName = "default";

    private static readonly string ServerName = GenServerRegistry.NameOf(typeof(RateLimiter));
    private readonly RateLimiterOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Value;

    [Function("RateLimitCheck")]
    public async Task<IActionResult> Check(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "ratelimit/{key}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        key = EntityKey.Normalize(key)!;
        if (RateLimitKey.Problem(key) is { } keyProblem)
        {
            return Problems.BadKey(keyProblem);
        }

        if (EntityKey.FindInvisible(key) is var invisible and >= 0)
        {
            return Problems.BadKey($"The key has an invisible or format character at position {invisible}.");
        }

        var cost = ReadCost(request, out var problem);
        if (problem is not null)
        {
            return problem;
        }

        var timeout = ServersApi.ReadTimeout(request, out problem);
        if (problem is not null)
        {
            return problem;
        }

        if (local is { Enabled: true })
        {
            // The in-memory path (docs/ratelimiter.md): a cached denial, a grant's tokens, or one Grant call on the shard.
            var decision = await local.CheckAsync(client, key, cost, timeout, request.HttpContext.RequestAborted);
            return decision.Reply is { } fast
                ? WithHeaders(fast.Allowed ? ApiResult.Ok(fast) : Denied(fast), fast)
                : CallsApi.Answer(request, decision.Call!, timeout);
        }

        var shard = RateLimitShards.For(key, _options.Shards).ToString(CultureInfo.InvariantCulture);
        var call = new CallRequest(ServerName, shard, nameof(RateLimiter.Check),
            JsonSerializer.SerializeToElement(new CheckRequest(key, cost), GenServerJson.Options));
        var result = await genServers.CallAsync(client, call, timeout, request.HttpContext.RequestAborted);
        if (result.Status != CallStatus.Replied || result.Reply?.Deserialize<CheckReply>(GenServerJson.Options) is not { } reply)
        {
            return CallsApi.Answer(request, result, timeout);
        }

        return WithHeaders(reply.Allowed ? ApiResult.Ok(reply) : Denied(reply), reply);
    }

    private int ReadCost(HttpRequest request, out ApiResult? problem)
    {
        problem = null;
        var text = request.Query["cost"].ToString();
        if (text.Length == 0)
        {
            return 1;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var cost) || cost < 1 || cost > _options.Capacity)
        {
            problem = Problems.BadInput($"cost must be an integer from 1 to the capacity, {_options.Capacity}.");
        }

        return cost;
    }

    private static ApiResult Denied(CheckReply reply) => new(StatusCodes.Status429TooManyRequests,
        new Problem("urn:serverless-genserver:problem:rate-limited", "Too many requests", StatusCodes.Status429TooManyRequests,
            reply.RetryAfterMs is { } ms
                ? $"{reply.Remaining} of {reply.Limit} tokens left for this key; retry in {ms} ms."
                : $"{reply.Remaining} of {reply.Limit} tokens left for this key, and this limiter does not refill.")
        {
            Extensions =
            {
                ["violated-policies"] = new[] { PolicyName },
                ["allowed"] = false,
                ["remaining"] = reply.Remaining,
                ["limit"] = reply.Limit,
                ["retryAfterMs"] = reply.RetryAfterMs,
                ["resetMs"] = reply.ResetMs,
            },
        },
        Problems.ContentType);

    /// <summary>
    /// The draft's fields (draft-ietf-httpapi-ratelimit-headers-11): the policy names the quota (q = capacity) and the
    /// time to refill it from empty (w, seconds); RateLimit gives the whole tokens left (r) and the seconds until the
    /// bucket is full again (t). On a 429, t is the Retry-After instead, because the draft says Retry-After should not
    /// point earlier than the end of the effective window. Times are rounded up; "never" (no refill) omits them.
    /// </summary>
    private ApiResult WithHeaders(ApiResult answer, CheckReply reply)
    {
        var resetSeconds = Seconds(reply.ResetMs);
        var retrySeconds = reply.Allowed ? null : Seconds(reply.RetryAfterMs);
        var window = _options.RefillPerSecond > 0 ? (long?)Math.Max(1, (long)Math.Ceiling(reply.Limit / _options.RefillPerSecond)) : null;
        var effective = reply.Allowed ? resetSeconds : retrySeconds;

        answer.WithHeader("RateLimit-Policy", $"\"{PolicyName}\";q={reply.Limit}" + (window is { } w ? $";w={w}" : ""))
            .WithHeader("RateLimit", $"\"{PolicyName}\";r={reply.Remaining}" + (effective is { } t ? $";t={t}" : ""))
            .WithHeader("X-RateLimit-Limit", Text(reply.Limit))
            .WithHeader("X-RateLimit-Remaining", Text(reply.Remaining))
            .WithHeader("Cache-Control", "no-store");
        if (resetSeconds is { } reset)
        {
            answer.WithHeader("X-RateLimit-Reset", Text(reset));
        }

        if (retrySeconds is { } retry)
        {
            answer.WithHeader("Retry-After", Text(retry));
        }

        return answer;
    }

    private static long? Seconds(long? ms) => ms is { } value ? (value + 999) / 1000 : null;

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
