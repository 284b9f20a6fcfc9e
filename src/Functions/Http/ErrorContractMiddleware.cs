using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace ServerlessGenServer.Functions.Http;

/// <summary>
/// Runs every HTTP function through <see cref="ErrorContract"/>. It sits inside the ASP.NET Core integration's own
/// middleware, which writes the IActionResult this leaves as the invocation's result.
/// </summary>
public sealed class ErrorContractMiddleware(ErrorContract contract) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is null)
        {
            await next(context);
            return;
        }

        Exception? failure = null;
        try
        {
            await next(context);
        }
#pragma warning disable CA1031 // Every exception of an HTTP function becomes a problem+json answer, not a bare 500.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        var result = context.GetInvocationResult();
        if (failure is null && result.Value is not null and not IActionResult)
        {
            return;
        }

        result.Value = contract.Apply(failure is null ? result.Value as IActionResult : null, failure, context.InvocationId);
    }
}
