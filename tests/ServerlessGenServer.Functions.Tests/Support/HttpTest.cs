using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace ServerlessGenServer.Functions.Tests.Support;

/// <summary>What a function answered, read back from a real HttpResponse.</summary>
internal sealed record HttpAnswer(int Status, string? ContentType, IHeaderDictionary Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>Asserts an RFC 9457 body with the given status and returns it.</summary>
    public JsonElement Problem(int status)
    {
        Assert.Equal(status, Status);
        Assert.Equal("application/problem+json", ContentType);
        var json = Json;
        Assert.Equal(status, json.GetProperty("status").GetInt32());
        Assert.StartsWith("urn:serverless-genserver:problem:", json.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        return json;
    }
}

/// <summary>Builds real DefaultHttpContext requests and runs a function's IActionResult into the response.</summary>
internal static class HttpTest
{
    public static HttpRequest Request(
        string method = "POST", string? body = null, string? contentType = "application/json", string query = "")
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "https";
        request.Host = new HostString("genserver.example");
        request.QueryString = new QueryString(query);
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = contentType;
        }

        context.Response.Body = new MemoryStream();
        return request;
    }

    public static async Task<HttpAnswer> AnswerAsync(this Task<IActionResult> action, HttpRequest request)
    {
        var result = await action;
        var context = request.HttpContext;
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return new HttpAnswer(context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, body);
    }
}
