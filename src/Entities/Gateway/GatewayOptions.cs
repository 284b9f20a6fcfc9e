using System.ComponentModel.DataAnnotations;

namespace ServerlessGenServer.Entities.Gateway;

/// <summary>Configuration section <c>Gateway</c>: the slow backend a <see cref="Gateway"/> fronts and its cache's bounds.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The named HttpClient the fetch work uses (its base address is <see cref="BackendUrl"/>).</summary>
    public const string HttpClientName = "gateway-backend";

    /// <summary>The backend's base URL; a path a client asks for is fetched relative to it.</summary>
    [Required]
    public Uri BackendUrl { get; set; } = new("http://127.0.0.1:7072/");

    /// <summary>How long a fetched value is served from the cache.</summary>
    [Range(1, 86_400)]
    public int TtlSeconds { get; set; } = 60;

    /// <summary>The most values one gateway keeps (least recently used go first).</summary>
    [Range(1, 1_000)]
    public int MaxEntries { get; set; } = 128;

    /// <summary>The largest backend answer kept, in characters; a larger one fails its callers.</summary>
    [Range(1, 65_536)]
    public int MaxValueChars { get; set; } = 4_096;

    /// <summary>How many runs a failing fetch gets (the task's retry policy).</summary>
    [Range(1, 10)]
    public int FetchAttempts { get; set; } = 2;

    /// <summary>How long one backend request may take.</summary>
    [Range(1, 300)]
    public int FetchTimeoutSeconds { get; set; } = 30;

    public TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);
}
