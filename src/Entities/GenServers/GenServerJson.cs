using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessGenServer.Entities.GenServers;

/// <summary>
/// The one JSON shape for inputs, replies and persisted state: camelCase, case-insensitive reads.
/// The Functions worker's serializer and the engine host's data converter both use <see cref="Options"/>,
/// so state written by one is read the same way by the other.
/// </summary>
public static class GenServerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>
    /// For what clients send: also refuses members the input type does not have, members given twice, and deep
    /// nesting, so a typo is an error and not a silently ignored field, and no two readers of one body can disagree
    /// about which of two duplicate members counts.
    /// </summary>
    public static JsonSerializerOptions ClientInput { get; } = new(Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        MaxDepth = 16,
    };
}
