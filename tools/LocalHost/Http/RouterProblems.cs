using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using ServerlessGenServer.Functions.Http;

namespace ServerlessGenServer.LocalHost.Http;

/// <summary>
/// Every answer the local host gives itself, rather than a function: problem+json in the app's shape
/// (<see cref="Problem"/>). This is the hook for the app's problem+json guarantee: call it here and the router's
/// own answers follow it too.
/// </summary>
public static class RouterProblems
{
    public static Task WriteAsync(HttpContext context, int status, string type, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problem = new Problem($"urn:serverless-genserver:problem:{type}", title, status, detail);
        return new ApiResult(status, problem, Problems.ContentType)
            .ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
    }
}
