using System.Net;
using System.Text;
using System.Text.Json;

namespace ServerlessGenServer.EndToEnd.Tests.Support;

/// <summary>Small helpers over HttpClient for the API's JSON and problem+json answers.</summary>
internal static class Answers
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        ArgumentNullException.ThrowIfNull(response);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 body with this status and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var json = await response.JsonAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.StartsWith("urn:serverless-genserver:problem:", json.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("detail").GetString()));
        return json;
    }
}
