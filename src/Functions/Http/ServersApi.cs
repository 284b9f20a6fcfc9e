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
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Calls;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// The generic API over every registered GenServer. Clients (a function key) reach the calls and casts a server
/// offers (<see cref="OfferAttribute"/>); operators (the admin key, and only with <see cref="OperatorApiOptions.Enabled"/>)
/// read state, list keys and stop servers. A cast or call with an <c>Idempotency-Key</c> header is applied once per key
/// within the configured window.
/// </summary>
/// <param name="operators">The operator surface's setting; null (a class built by hand, in tests and tools) means on.</param>
public sealed partial class ServersApi(
    GenServerRegistry registry, GenServerClient genServers, ILogger<ServersApi> logger, IOptions<OperatorApiOptions>? operators = null)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>The longest continuation token accepted; the provider's are far shorter.</summary>
    public const int MaxContinuationLength = 4096;

    private readonly bool _operatorsEnabled = operators?.Value.Enabled ?? true;

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
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "servers/{server}/{key}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server, string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (!_operatorsEnabled)
        {
            return OperatorsOff();
        }

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
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "servers/{server}/{key}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server, string key)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_operatorsEnabled)
        {
            return OperatorsOff();
        }

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
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "servers/{server}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string server)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (!_operatorsEnabled)
        {
            return OperatorsOff();
        }

        if (!registry.TryGet(server, out var descriptor))
        {
            return UnknownServer(server);
        }

        var prefix = EntityKey.Normalize(request.Query["prefix"].ToString())!;
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
        // Provider tokens can hold spaces and any letter (they carry the next partition key), never control characters.
        if (continuation.Length > MaxContinuationLength || continuation.Any(char.IsControl))
        {
            return BadContinuation();
        }

        var query = new EntityQuery
        {
            InstanceIdStartsWith = $"@{descriptor.Name}@{prefix}",
            IncludeState = false,
            PageSize = top,
            ContinuationToken = continuation.Length > 0 ? continuation : null,
        };
        try
        {
            await foreach (var page in client.Entities.GetAllEntitiesAsync(query).AsPages(query.ContinuationToken, top)
                .WithCancellation(request.HttpContext.RequestAborted))
            {
                return ApiResult.Ok(new
                {
                    items = page.Values.Select(e => new { key = e.Id.Key, lastModifiedTime = e.LastModifiedTime }).ToList(),
                    continuation = page.ContinuationToken,
                });
            }
        }
        catch (Exception ex) when (query.ContinuationToken is not null && !ErrorContract.IsStorageUnreachable(ex) &&
            !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // Only the token is the client's: a query that fails with one, and not for lack of storage, failed on it.
            LogBadContinuation(logger, descriptor.Name, ex);
            return BadContinuation();
        }

        return ApiResult.Ok(new { items = Array.Empty<object>(), continuation = (string?)null });
    }

    private static ApiResult BadContinuation() =>
        Problems.BadInput("continuation is not a token this API returned: pass the continuation of the previous page as it came.");

    private static ApiResult OperatorsOff() => Problems.NotFound("There is no such route.");

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

    // Keys are compared as stored, so they are normalized to NFC first (see EntityKey). A client (operation not null)
    // reaches only the operations a server offers, and hears of no other server or operation.
    private (GenServerTarget Target, ApiResult? Problem) Resolve(string server, string key, string? operation, OperationKind kind)
    {
        GenServerDescriptor? offering = null;
        if (operation is not null && (!registry.TryGet(server, out offering) || !offering.Operations.All.Any(o => o.IsOffered)))
        {
            return (default, Problems.NotFound($"There is no GenServer named '{server}' that offers operations. There are: " +
                $"{string.Join(", ", registry.Servers.Where(s => s.Operations.All.Any(o => o.IsOffered)).Select(s => s.Name))}."));
        }

        // An operation the server does not offer is resolved as an unknown one: same 404, same words.
        var lookup = offering is not null && offering.Operations.TryGet(operation!, out var op) && !op.IsOffered ? "" : operation;
        var (target, problem) = GenServerTarget.Resolve(registry, server, EntityKey.Normalize(key)!, lookup, kind);
        return (target, problem switch
        {
            null => null,
            { Error: TargetError.BadKey } => Problems.BadKey(problem.Detail),
            { Error: TargetError.UnknownOperation } => Problems.NotFound(
                $"{offering!.Name} offers no operation '{operation}'. It offers: {Offered(offering)}."),
            _ => Problems.NotFound(problem.Detail),
        });
    }

    private static string Offered(GenServerDescriptor server) => string.Join(", ", server.Operations.All
        .Where(o => o.IsOffered)
        .Select(o => $"{o.Name.ToLowerInvariant()} ({o.Kind.ToString().ToLowerInvariant()})"));

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "List of {Server} refused a continuation token")]
    private static partial void LogBadContinuation(ILogger logger, string server, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cast {Server}@{Key} '{Operation}' request {RequestId}")]
    private static partial void LogCast(ILogger logger, string server, string key, string operation, string requestId);
}
