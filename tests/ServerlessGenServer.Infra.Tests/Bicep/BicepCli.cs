using System.Diagnostics;
using System.Reflection;

namespace ServerlessGenServer.Infra.Tests.Bicep;

/// <summary>The result of one Bicep CLI run: its exit code and what it wrote.</summary>
public sealed record BicepRun(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs the Bicep CLI that restore brought in through PackageDownload (no other download).
/// Its path is baked into this assembly at build time from $(NuGetPackageRoot).
/// </summary>
public static class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string RepositoryRoot => ReadMetadata("RepositoryRoot");

    public static string TemplateFolder => Path.Combine(RepositoryRoot, "infra", "bicep");

    public static string ExecutablePath
    {
        get
        {
            var path = ReadMetadata("BicepCliPath");
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"The Bicep CLI is not at '{path}'. It comes from the PackageDownload of Azure.Bicep.CommandLine.linux-x64 " +
                    "in this test project: run 'dotnet restore' (the package ships a linux-x64 binary only).");
            }

            return path;
        }
    }

    /// <summary>Runs `bicep &lt;arguments&gt;` and returns its exit code, stdout and stderr.</summary>
    public static async Task<BicepRun> RunAsync(params string[] arguments)
    {
        var executable = ExecutablePath;
        EnsureExecutable(executable);

        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start '{executable}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}.");
        }

        return new BicepRun(process.ExitCode, await stdout, await stderr);
    }

    // NuGet extracts package files without guaranteeing the execute bit; add it when it is missing.
    private static void EnsureExecutable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(path, mode | execute);
        }
    }

    private static string ReadMetadata(string key) =>
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing: see the test project file.");
}
