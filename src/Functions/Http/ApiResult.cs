using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Http;

/// <summary>A status code, optional headers and a JSON body written with the project's JSON options.</summary>
public sealed record ApiResult(int Status, object? Body, string ContentType = "application/json") : IActionResult
{
    /// <summary>What a fault was, for the log only; never written to the response.</summary>
    public string? FaultDetail { get; init; }

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ApiResult WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = Status;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        if (Body is not null)
        {
            response.ContentType = ContentType;
            await JsonSerializer.SerializeAsync(response.Body, Body, Body.GetType(), GenServerJson.Options, context.HttpContext.RequestAborted);
        }
    }

    public static ApiResult Ok(object body) => new(StatusCodes.Status200OK, body);

    public static ApiResult Accepted(object body) => new(StatusCodes.Status202Accepted, body);
}
