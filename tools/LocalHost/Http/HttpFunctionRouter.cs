using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Http;

/// <summary>One HTTP function's route: <c>{routePrefix}/{route}</c>, its methods and how to run it.</summary>
public sealed record HttpRoute(string Template, IReadOnlyList<string> Methods, string AuthLevel, FunctionInvoker Invoker)
{
    internal TemplateMatcher Matcher { get; init; } = null!;

    internal decimal Precedence { get; init; }
}

/// <summary>
/// The one HTTP driver: maps a request to an HTTP function invocation from functions.metadata (route template with the
/// host.json route prefix, methods), binds it, invokes the function class and executes its result into the response.
/// Kestrel serves it in the local host; tests and tools/ApiExamples hand it a <see cref="DefaultHttpContext"/>.
/// Every answer the router gives itself (no route, wrong method, unreadable request, a function that threw) goes
/// through <see cref="RouterProblems"/>.
/// </summary>
public sealed partial class HttpFunctionRouter
{
    private readonly ILogger _logger;

    private HttpFunctionRouter(IReadOnlyList<HttpRoute> routes, ILogger logger)
    {
        Routes = routes;
        _logger = logger;
    }

    /// <summary>Most specific first (literal segments before parameters), as ASP.NET Core routing orders them.</summary>
    public IReadOnlyList<HttpRoute> Routes { get; }

    public static HttpFunctionRouter Create(IEnumerable<FunctionMetadata> functions, Assembly app, string routePrefix, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var routes = new List<HttpRoute>();
        foreach (var function in functions.Where(f => f.Trigger.Type == "httpTrigger"))
        {
            var trigger = function.Trigger;
            var route = trigger.Text("route") ?? function.Name;
            var template = string.Join('/', new[] { routePrefix.Trim('/'), route.Trim('/') }.Where(s => s.Length > 0));
            var parsed = TemplateParser.Parse(template);
            if (parsed.Parameters.Any(p => p.InlineConstraints.Any()))
            {
                throw new InvalidOperationException($"Function '{function.Name}': route constraints ({route}) are not supported by the local host.");
            }

            var methods = trigger.Texts("methods").Select(m => m.ToUpperInvariant()).ToList();
            routes.Add(new HttpRoute(template, methods, trigger.Text("authLevel") ?? "Function",
                FunctionInvoker.Create(function, app, parsed.Parameters.Select(p => p.Name!)))
            {
                Matcher = new TemplateMatcher(parsed, new RouteValueDictionary()),
                Precedence = RoutePrecedence.ComputeInbound(parsed),
            });
        }

        return new HttpFunctionRouter([.. routes.OrderBy(r => r.Precedence)], logger);
    }

    /// <summary>Answers one request. Function classes come from <see cref="HttpContext.RequestServices"/>.</summary>
    public async Task HandleAsync(HttpContext context, DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (route, values, allowed) = Match(context.Request);
        if (route is null)
        {
            if (allowed.Count > 0)
            {
                context.Response.Headers.Allow = string.Join(", ", allowed);
                await RouterProblems.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, "method-not-allowed", "Method not allowed",
                    $"{context.Request.Path} accepts {string.Join(", ", allowed)}.");
            }
            else
            {
                await RouterProblems.WriteAsync(context, StatusCodes.Status404NotFound, "not-found", "Not found",
                    "No function serves this path.");
            }

            return;
        }

        try
        {
            var input = new InvocationInput(client, context.RequestAborted)
            {
                Request = context.Request,
                RouteValues = values.ToDictionary(v => v.Key, v => v.Value?.ToString(), StringComparer.OrdinalIgnoreCase),
            };
            object? result;
            Exception? failure = null;
            try
            {
                result = await route.Invoker.InvokeAsync(context.RequestServices, input);
            }
#pragma warning disable CA1031 // A function that throws is answered by the error contract (500 or 503), never a crash.
            catch (Exception ex) when (ex is not BadHttpRequestException && !(ex is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
#pragma warning restore CA1031
            {
                (result, failure) = (null, ex);
            }

            // The Functions worker runs ErrorContractMiddleware around every HTTP function; here the router applies
            // the same contract, so both hosts answer a fault or a declared error identically.
            if (failure is not null || result is IActionResult)
            {
                var contract = context.RequestServices.GetRequiredService<ErrorContract>();
                result = contract.Apply(result as IActionResult, failure, context.TraceIdentifier);
            }

            await ExecuteAsync(context, result);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // The request's framing failed while the function read it (body too slow, too large, cut short).
            LogBadRequest(_logger, route.Invoker.Function.Name, ex.StatusCode, ex.Message);
            await RouterProblems.WriteAsync(context, ex.StatusCode, "bad-request", "The request could not be read", ex.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
#pragma warning disable CA1031 // A function that throws is a server fault: it is answered 500, never a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFunctionFailed(_logger, route.Invoker.Function.Name, context.TraceIdentifier, ex);
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            context.Response.Clear();
            await RouterProblems.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal-error", "Internal server error",
                $"The function failed. Correlation id: {context.TraceIdentifier}.");
        }
    }

    private (HttpRoute? Route, RouteValueDictionary Values, List<string> Allowed) Match(HttpRequest request)
    {
        var allowed = new List<string>();
        foreach (var route in Routes)
        {
            var values = new RouteValueDictionary();
            if (!route.Matcher.TryMatch(request.Path, values))
            {
                continue;
            }

            if (route.Methods.Count == 0 || route.Methods.Contains(request.Method, StringComparer.OrdinalIgnoreCase))
            {
                return (route, values, allowed);
            }

            allowed.AddRange(route.Methods);
        }

        return (null, [], [.. allowed.Distinct(StringComparer.Ordinal)]);
    }

    private static async Task ExecuteAsync(HttpContext context, object? result)
    {
        switch (result)
        {
            case IActionResult action:
                await action.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
                break;
            case IResult minimal:
                await minimal.ExecuteAsync(context);
                break;
            case null:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            default:
                throw new InvalidOperationException($"The local host cannot write a {result.GetType().Name} as an HTTP response.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: the request could not be read ({Status}): {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string function, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} failed (correlation id {CorrelationId})")]
    private static partial void LogFunctionFailed(ILogger logger, string function, string correlationId, Exception exception);
}
