using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// The generic client API over every registered GenServer:
/// call (orchestration + wait), cast (signal), state, stop (delete) and list.
/// A cast or call with an <c>Idempotency-Key</c> header is applied once per key within the configured window.
/// </summary>
public sealed partial class ServersApi(GenServerRegistry registry, GenServerClient genServers, ILogger<ServersApi> logger)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    [Function("ServersCall")]
    public async Task<IActionResult> Call(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "servers/{server}/{key}/call/{operation}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server, string key, string operation)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (message, problem) = await ReadMessageAsync(request, server, key, operation, OperationKind.Call);
        if (problem is not null)
        {
            return problem;
        }

        var timeout = ReadTimeout(request, out problem);
        if (problem is not null)
        {
            return problem;
        }

        var (target, idempotencyKey, input) = message;
        var call = new CallRequest(target.Id.Name, target.Id.Key, target.Operation!.Name,
            input is null ? null : JsonSerializer.SerializeToElement(input, target.Operation.InputType!, GenServerJson.Options),
            idempotencyKey);
        var result = await genServers.CallAsync(client, call, timeout, request.HttpContext.RequestAborted);
        return CallsApi.Answer(request, result, timeout);
    }

    [Function("ServersCast")]
    public async Task<IActionResult> Cast(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "servers/{server}/{key}/cast/{operation}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server, string key, string operation)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ((target, idempotencyKey, input), problem) = await ReadMessageAsync(request, server, key, operation, OperationKind.Cast);
        if (problem is not null)
        {
            return problem;
        }

        var requestId = Guid.NewGuid().ToString("N");
        await genServers.CastAsync(client, target.Id, target.Operation!.Name, input, idempotencyKey, request.HttpContext.RequestAborted);
        LogCast(logger, target.Id.Name, target.Id.Key, target.Operation.Name, requestId);
        return ApiResult.Accepted(new { requestId });
    }

    [Function("ServersGet")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "servers/{server}/{key}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server, string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var (target, problem) = Resolve(server, key, operation: null, OperationKind.Call);
        if (problem is not null)
        {
            return problem;
        }

        var entity = await client.Entities.GetEntityAsync(target.Id, includeState: true, request.HttpContext.RequestAborted);
        if (entity is null || !entity.IncludesState || entity.State.Value is null)
        {
            return Problems.NotFound($"{target.Id.Name}@{target.Id.Key} has no state: it was never started or was stopped.");
        }

        // The runtime's envelope (version, timers, idempotency ledger) is its bookkeeping: only the server's state is shown.
        var state = GenServerEnvelope.ServerState(entity.State.Value);
        return ApiResult.Ok(new
        {
            server = target.Id.Name,
            key = target.Id.Key,
            lastModifiedTime = entity.LastModifiedTime,
            state,
        });
    }

    [Function("ServersDelete")]
    public async Task<IActionResult> Delete(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "servers/{server}/{key}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server, string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (target, problem) = Resolve(server, key, operation: null, OperationKind.Cast);
        if (problem is not null)
        {
            return problem;
        }

        // Stopping a GenServer deletes its state. The delete is a message like any other: queued after earlier ones.
        await genServers.CastAsync(client, target.Id, "delete", input: null, request.HttpContext.RequestAborted);
        return ApiResult.Accepted(new { requestId = Guid.NewGuid().ToString("N") });
    }

    [Function("ServersList")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "servers/{server}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (!registry.TryGet(server, out var descriptor))
        {
            return UnknownServer(server);
        }

        var prefix = request.Query["prefix"].ToString();
        if (prefix.Length > 0 && EntityKey.Problem(prefix) is { } keyProblem)
        {
            return Problems.BadKey($"prefix: {keyProblem}");
        }

        var top = DefaultPageSize;
        var topText = request.Query["top"].ToString();
        if (topText.Length > 0 && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > MaxPageSize))
        {
            return Problems.BadInput($"top must be an integer from 1 to {MaxPageSize}.");
        }

        var continuation = request.Query["continuation"].ToString();
        var query = new EntityQuery
        {
            InstanceIdStartsWith = $"@{descriptor.Name}@{prefix}",
            IncludeState = false,
            PageSize = top,
            ContinuationToken = continuation.Length > 0 ? continuation : null,
        };
        await foreach (var page in client.Entities.GetAllEntitiesAsync(query).AsPages(query.ContinuationToken, top)
            .WithCancellation(request.HttpContext.RequestAborted))
        {
            return ApiResult.Ok(new
            {
                items = page.Values.Select(e => new { key = e.Id.Key, lastModifiedTime = e.LastModifiedTime }).ToList(),
                continuation = page.ContinuationToken,
            });
        }

        return ApiResult.Ok(new { items = Array.Empty<object>(), continuation = (string?)null });
    }

    // What a call and a cast both check before anything is sent: the target, the Idempotency-Key header and the body.
    private async Task<(Message Message, ApiResult? Problem)> ReadMessageAsync(
        HttpRequest request, string server, string key, string operation, OperationKind kind)
    {
        var (target, problem) = Resolve(server, key, operation, kind);
        if (problem is not null)
        {
            return (default, problem);
        }

        var idempotencyKey = IdempotencyKeyHeader.Read(request, out problem);
        if (problem is not null)
        {
            return (default, problem);
        }

        (var input, problem) = await OperationInput.ReadAsync(request, target.Operation!, request.HttpContext.RequestAborted);
        return (new Message(target, idempotencyKey, input), problem);
    }

    private readonly record struct Message(GenServerTarget Target, string? IdempotencyKey, object? Input);

    private (GenServerTarget Target, ApiResult? Problem) Resolve(string server, string key, string? operation, OperationKind kind)
    {
        var (target, problem) = GenServerTarget.Resolve(registry, server, key, operation, kind);
        return (target, problem switch
        {
            null => null,
            { Error: TargetError.BadKey } => Problems.BadKey(problem.Detail),
            _ => Problems.NotFound(problem.Detail),
        });
    }

    private ApiResult UnknownServer(string server) => Problems.NotFound(GenServerTarget.UnknownServer(registry, server));

    internal static TimeSpan ReadTimeout(HttpRequest request, out ApiResult? problem)
    {
        problem = null;
        var text = request.Query["timeoutMs"].ToString();
        if (text.Length == 0)
        {
            return GenServerClient.DefaultCallTimeout;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms < 1 ||
            ms > GenServerClient.MaxCallTimeout.TotalMilliseconds)
        {
            problem = Problems.BadInput($"timeoutMs must be an integer from 1 to {GenServerClient.MaxCallTimeout.TotalMilliseconds:0}.");
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cast {Server}@{Key} '{Operation}' request {RequestId}")]
    private static partial void LogCast(ILogger logger, string server, string key, string operation, string requestId);
}
