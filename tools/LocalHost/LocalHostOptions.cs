using System.Reflection;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.LocalHost;

/// <summary>How to run the local host. Everything else comes from the app's build output, as with <c>func start</c>.</summary>
public sealed record LocalHostOptions
{
    public const int DefaultPort = 7071;

    /// <summary>The Functions app's build output (functions.metadata, host.json, local.settings.json, the app's assembly).</summary>
    public string FunctionsOutput { get; init; } = DefaultFunctionsOutput;

    /// <summary>The HTTP port; null: local.settings.json <c>Host.LocalHttpPort</c>, else 7071. 0: any free port.</summary>
    public int? Port { get; init; }

    /// <summary>App settings over local.settings.json and the environment (for tests: storage, task hub).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Overrides host.json <c>queues.maxPollingInterval</c> (tests poll faster than the host's one minute).</summary>
    public TimeSpan? QueueMaxPollingInterval { get; init; }

    /// <summary>Where the host, the engine and the functions log; null: the console.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>src/Functions' output for this build configuration (recorded at build time).</summary>
    public static string DefaultFunctionsOutput { get; } = typeof(LocalHostOptions).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsOutput").Value!;
}
