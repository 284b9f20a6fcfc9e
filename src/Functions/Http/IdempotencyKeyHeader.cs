using Microsoft.AspNetCore.Http;
using ServerlessGenServer.Entities.GenServers.Idempotency;

namespace ServerlessGenServer.Functions.Http;

/// <summary>The <c>Idempotency-Key</c> request header of a cast or call: 1 to 128 printable ASCII characters, once.</summary>
public static class IdempotencyKeyHeader
{
    public const string Name = "Idempotency-Key";

    /// <summary>The key, null when the header is absent, or the problem to answer with.</summary>
    public static string? Read(HttpRequest request, out ApiResult? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        problem = null;
        if (!request.Headers.TryGetValue(Name, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            problem = Problems.BadInput($"Send one {Name} header, not {values.Count}.");
            return null;
        }

        var key = values[0];
        if (OnceMessage.KeyProblem(key) is { } keyProblem)
        {
            problem = Problems.BadInput($"{Name}: {keyProblem}");
            return null;
        }

        return key;
    }
}
