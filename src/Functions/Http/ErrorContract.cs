using System.ComponentModel.DataAnnotations;
using System.Net.Http;
using System.Net.Sockets;
using Azure;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// The one place that makes every non-2xx answer of every HTTP function problem+json: declared errors keep their
/// problem, faults and unhandled exceptions become a 500 with a correlation id (the invocation id) and nothing else,
/// and a storage outage becomes a 503 with Retry-After. The details go to the log, with the correlation id.
/// The Functions worker calls it from <see cref="ErrorContractMiddleware"/>; any other host of the function classes
/// (a local router, the test drivers) calls <see cref="Apply"/> the same way.
/// </summary>
public sealed partial class ErrorContract(ILogger<ErrorContract> logger)
{
    public const string CorrelationIdMember = "correlationId";

    // Errors a server raises on purpose: their messages are written for the client.
    private static readonly HashSet<string> Declared = new(StringComparer.Ordinal)
    {
        typeof(ValidationException).FullName!,
        typeof(GenServerException).FullName!,
        typeof(IdempotencyKeyReusedException).FullName!,
        typeof(AlreadyAppliedException).FullName!,
    };

    // Subclasses of GenServerException, looked up once per type name (a server's exception types are a fixed set).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> DerivedDeclared = new(StringComparer.Ordinal);

    /// <summary>An operation failed with an error its server declares (422), not a fault (500).</summary>
    public static bool IsDeclared(string? errorType) => errorType is not null &&
        (Declared.Contains(errorType) || DerivedDeclared.GetOrAdd(errorType, static name => AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => a.GetType(name, throwOnError: false))
            .Any(t => t is not null && typeof(GenServerException).IsAssignableFrom(t))));

    /// <summary>
    /// The answer to send for a function's <paramref name="result"/>, or for the <paramref name="exception"/> it threw.
    /// 2xx answers pass unchanged; every other answer leaves as problem+json.
    /// </summary>
    public IActionResult Apply(IActionResult? result, Exception? exception, string correlationId)
    {
        if (exception is not null)
        {
            if (IsStorageUnreachable(exception))
            {
                LogStorageUnreachable(logger, correlationId, exception);
                return WithCorrelation(Problems.StorageUnavailable(), correlationId);
            }

            LogUnhandled(logger, correlationId, exception);
            return WithCorrelation(Problems.ServerFault("unhandled exception"), correlationId);
        }

        var status = result switch
        {
            ApiResult api => api.Status,
            IStatusCodeActionResult { StatusCode: { } code } => code,
            null => StatusCodes.Status500InternalServerError,
            _ => StatusCodes.Status200OK,
        };
        if (status is >= 200 and < 300)
        {
            return result!;
        }

        var problem = result is ApiResult { ContentType: Problems.ContentType, Body: Problem } answer ? answer : Problems.ForStatus(status);
        if (problem.FaultDetail is { } detail)
        {
            LogFault(logger, correlationId, status, detail);
        }

        return status >= 500 ? WithCorrelation(problem, correlationId) : problem;
    }

    /// <summary>
    /// The exception says the task hub's storage (or the Durable host in front of it) could not be reached, rather than
    /// that something went wrong in the app.
    /// </summary>
    public static bool IsStorageUnreachable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RequestFailedException { Status: 0 or >= 500 }:
                case RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded }:
                case HttpRequestException or SocketException or TimeoutException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsStorageUnreachable):
                    return true;
            }
        }

        return false;
    }

    private static ApiResult WithCorrelation(ApiResult answer, string correlationId)
    {
        var problem = (Problem)answer.Body!;
        return answer with { Body = problem with { Extensions = new(problem.Extensions) { [CorrelationIdMember] = correlationId } } };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Fault {CorrelationId}: answered {Status}; {Detail}")]
    private static partial void LogFault(ILogger logger, string correlationId, int status, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fault {CorrelationId}: unhandled exception, answered 500")]
    private static partial void LogUnhandled(ILogger logger, string correlationId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unreachable {CorrelationId}: answered 503")]
    private static partial void LogStorageUnreachable(ILogger logger, string correlationId, Exception exception);
}
