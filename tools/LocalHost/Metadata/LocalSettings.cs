using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace ServerlessGenServer.LocalHost.Metadata;

/// <summary>
/// local.settings.json as <c>func start</c> reads it: every <c>Values</c> entry becomes an app setting unless an
/// environment variable of the same name is already set (the environment wins), and <c>Host.LocalHttpPort</c> is the port.
/// A <c>__</c> in a name is a configuration section separator, as in environment variables.
/// </summary>
public sealed record LocalSettings(IReadOnlyDictionary<string, string?> Values, int? LocalHttpPort)
{
    public const string FileName = "local.settings.json";

    public static LocalSettings Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : new LocalSettings(new Dictionary<string, string?>(), null);
    }

    public static LocalSettings Parse(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (document.RootElement.TryGetProperty(nameof(Values), out var list) && list.ValueKind == JsonValueKind.Object)
        {
            foreach (var value in list.EnumerateObject())
            {
                values[value.Name] = value.Value.ValueKind == JsonValueKind.String ? value.Value.GetString() : value.Value.GetRawText();
            }
        }

        int? port = document.RootElement.TryGetProperty("Host", out var host) && host.ValueKind == JsonValueKind.Object &&
            host.TryGetProperty(nameof(LocalHttpPort), out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
        return new LocalSettings(values, port);
    }

    /// <summary>
    /// The app's configuration: these values, then the environment over them, then <paramref name="overrides"/> (for
    /// tests and command-line options). Returns also the names the environment overrode, for the start-up log.
    /// </summary>
    public (IConfigurationRoot Configuration, IReadOnlyList<string> FromEnvironment) Build(
        IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var fromEnvironment = Values.Keys.Where(k => Environment.GetEnvironmentVariable(k) is not null).Order(StringComparer.Ordinal).ToList();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(Values.Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), v.Value)))
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides?.Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), v.Value)) ?? [])
            .Build();
        return (configuration, fromEnvironment);
    }
}

/// <summary>Binding expressions: <c>%NAME%</c> is the app setting NAME, as the Functions host resolves it.</summary>
public static class AppSettingExpression
{
    /// <exception cref="InvalidOperationException">A named setting is missing.</exception>
    public static string Resolve(string expression, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(expression);
        ArgumentNullException.ThrowIfNull(configuration);
        if (expression.Length > 2 && expression[0] == '%' && expression[^1] == '%' && expression.Count(c => c == '%') == 2)
        {
            var name = expression[1..^1];
            return configuration[name.Replace("__", ":", StringComparison.Ordinal)] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"The app setting '{name}' ({expression}) is not set: add it to local.settings.json Values.");
        }

        return expression;
    }
}
