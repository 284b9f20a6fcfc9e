using System.Text.Json;

namespace ServerlessGenServer.LocalHost.Metadata;

/// <summary>
/// What the local host takes from host.json, with the Functions host's defaults where the file says nothing:
/// the HTTP route prefix, the Durable task hub and storage-provider tuning, and the queue trigger's rules.
/// </summary>
public sealed record HostJson
{
    public const string FileName = "host.json";

    public string RoutePrefix { get; init; } = "api";

    /// <summary>durableTask.hubName, possibly a <c>%SETTING%</c>.</summary>
    public string HubName { get; init; } = "TestHubName";

    public int PartitionCount { get; init; } = 4;

    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public int MaxEntityOperationBatchSize { get; init; } = 50;

    public int? EntityMessageReorderWindowInMinutes { get; init; }

    /// <summary>extensions.queues: maxDequeueCount (default 5), batchSize (16), visibilityTimeout (0), maxPollingInterval (1 min), messageEncoding (base64).</summary>
    public QueueRules Queues { get; init; } = new();

    public static HostJson Load(string folder) => Parse(File.ReadAllText(Path.Combine(folder, FileName)));

    public static HostJson Parse(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var extensions = Member(document.RootElement, "extensions");
        var durable = Member(extensions, "durableTask");
        var storage = Member(durable, "storageProvider");
        var queues = Member(extensions, "queues");
        var defaults = new HostJson();
        var queueDefaults = new QueueRules();
        return new HostJson
        {
            RoutePrefix = Text(Member(extensions, "http"), "routePrefix") ?? defaults.RoutePrefix,
            HubName = Text(durable, "hubName") ?? defaults.HubName,
            PartitionCount = Int(storage, "partitionCount") ?? defaults.PartitionCount,
            MaxQueuePollingInterval = Time(storage, "maxQueuePollingInterval") ?? defaults.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = Time(storage, "controlQueueVisibilityTimeout") ?? defaults.ControlQueueVisibilityTimeout,
            MaxEntityOperationBatchSize = Int(durable, "maxEntityOperationBatchSize") ?? defaults.MaxEntityOperationBatchSize,
            EntityMessageReorderWindowInMinutes = Int(durable, "entityMessageReorderWindowInMinutes"),
            Queues = new QueueRules
            {
                MaxDequeueCount = Int(queues, "maxDequeueCount") ?? queueDefaults.MaxDequeueCount,
                BatchSize = Int(queues, "batchSize") ?? queueDefaults.BatchSize,
                VisibilityTimeout = Time(queues, "visibilityTimeout") ?? queueDefaults.VisibilityTimeout,
                MaxPollingInterval = Time(queues, "maxPollingInterval") ?? queueDefaults.MaxPollingInterval,
                Base64Messages = !string.Equals(Text(queues, "messageEncoding"), "none", StringComparison.OrdinalIgnoreCase),
            },
        };
    }

    private static JsonElement Member(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    private static string? Text(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        Member(element, name) is { ValueKind: JsonValueKind.Number } value ? value.GetInt32() : null;

    private static TimeSpan? Time(JsonElement element, string name) =>
        Text(element, name) is { } text ? TimeSpan.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>The queue trigger's rules, as the Functions host applies them.</summary>
public sealed record QueueRules
{
    /// <summary>Attempts before a message moves to the <c>-poison</c> queue.</summary>
    public int MaxDequeueCount { get; init; } = 5;

    public int BatchSize { get; init; } = 16;

    /// <summary>How long a failed message stays invisible before its next attempt.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>The longest wait between polls of an empty queue (the wait doubles from 100 ms up to this).</summary>
    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>host.json messageEncoding: base64 (the default) or none.</summary>
    public bool Base64Messages { get; init; } = true;
}
