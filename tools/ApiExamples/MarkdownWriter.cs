using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace ServerlessGenServer.ApiExamples;

/// <summary>Prints exchanges as Markdown: the request (line and body), then the response (status line, headers, pretty JSON).</summary>
public sealed class MarkdownWriter(TextWriter output)
{
    // For reading only: shows quotes and non-ASCII as they are instead of \u0027 escapes. Never used to write HTML.
    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public void Line(string text = "") => output.WriteLine(text);

    public void Write(Exchange exchange)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        output.WriteLine("```http");
        output.WriteLine($"{exchange.Method} {exchange.PathAndQuery}");
        if (exchange.IdempotencyKey is not null)
        {
            output.WriteLine($"Idempotency-Key: {exchange.IdempotencyKey}");
        }

        if (exchange.RequestBody is not null)
        {
            output.WriteLine("Content-Type: application/json");
            output.WriteLine();
            output.WriteLine(exchange.RequestBody);
        }

        output.WriteLine("```");
        output.WriteLine();
        output.WriteLine("```http");
        output.WriteLine($"HTTP/1.1 {exchange.Status} {ReasonPhrases.GetReasonPhrase(exchange.Status)}");
        foreach (var (name, value) in exchange.Headers)
        {
            output.WriteLine($"{name}: {value}");
        }

        if (exchange.Body.Length > 0)
        {
            using var json = JsonDocument.Parse(exchange.Body);
            output.WriteLine();
            output.WriteLine(JsonSerializer.Serialize(json.RootElement, Pretty));
        }

        output.WriteLine("```");
        output.WriteLine();
    }
}
