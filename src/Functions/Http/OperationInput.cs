using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Functions.Http;

/// <summary>Reads an HTTP body as an operation's input: size, media type, JSON shape and the operation's rules.</summary>
public static class OperationInput
{
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>The validated input (null for none), or the problem to answer with.</summary>
    public static async Task<(object? Input, ApiResult? Problem)> ReadAsync(
        HttpRequest request, GenServerOperation operation, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(operation);
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, Problems.TooLarge(MaxBodyBytes));
        }

        var body = await ReadLimitedAsync(request.Body, MaxBodyBytes, cancellation);
        if (body is null)
        {
            return (null, Problems.TooLarge(MaxBodyBytes));
        }

        if (body.Length > 0 && !IsJson(request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType(request.ContentType));
        }

        try
        {
            return (operation.ReadInput(body), null);
        }
        catch (ValidationException ex)
        {
            return (null, Problems.BadInput(ex.Message));
        }
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
         media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    // Reads at most limit bytes; null when the body is longer (a chunked body has no Content-Length to check first).
    private static async Task<byte[]?> ReadLimitedAsync(Stream body, int limit, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellation)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
