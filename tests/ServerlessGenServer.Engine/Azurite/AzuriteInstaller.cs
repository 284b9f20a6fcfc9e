using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.Engine.Azurite;

/// <summary>
/// Installs Azurite from the repository's package.json and package-lock.json (<c>npm ci</c>, without optional
/// dependencies) when it is missing. A file lock makes concurrent test processes install it once, one at a time.
/// </summary>
internal static partial class AzuriteInstaller
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LockRetry = TimeSpan.FromMilliseconds(500);

    public static async Task EnsureInstalledAsync(string repositoryRoot, string scriptRelativePath, ILogger logger, CancellationToken cancellation)
    {
        var script = Path.Combine(repositoryRoot, scriptRelativePath);
        if (File.Exists(script))
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(InstallTimeout);
        await using var installLock = await AcquireLockAsync(LockPath(repositoryRoot), timeout.Token);
        if (File.Exists(script))
        {
            return; // Another process installed it while this one waited.
        }

        LogInstalling(logger, repositoryRoot);
        var started = Stopwatch.GetTimestamp();
        await RunNpmCiAsync(repositoryRoot, timeout.Token);
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"npm ci finished but {script} is missing: is azurite in package.json?");
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        LogInstalled(logger, seconds);
    }

    private static async Task RunNpmCiAsync(string repositoryRoot, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo("npm")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "ci", "--omit=optional", "--no-audit", "--no-fund" })
        {
            info.ArgumentList.Add(argument);
        }

        using var npm = Process.Start(info) ?? throw new InvalidOperationException("npm did not start: are Node.js and npm installed?");
        var output = new ProcessOutputTail();
        npm.OutputDataReceived += (_, e) => output.Add(e.Data);
        npm.ErrorDataReceived += (_, e) => output.Add(e.Data);
        npm.BeginOutputReadLine();
        npm.BeginErrorReadLine();
        try
        {
            await npm.WaitForExitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            npm.Kill(entireProcessTree: true);
            throw;
        }

        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'npm ci --omit=optional' in {repositoryRoot} failed with exit code {npm.ExitCode}:{Environment.NewLine}{output.Text}");
        }
    }

    // An exclusive lock on a file outside node_modules (npm ci deletes node_modules first). On Unix .NET takes an
    // advisory lock for FileShare.None, which other processes opening the same file this way respect. The file is
    // left in place: deleting it on close would let two waiters lock two different files.
    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellation)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(LockRetry, cancellation);
            }
        }
    }

    private static string LockPath(string repositoryRoot)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repositoryRoot)))[..16];
        return Path.Combine(Path.GetTempPath(), $"serverlessgenserver-npm-ci-{hash}.lock");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite is not installed: running npm ci in {RepositoryRoot}")]
    private static partial void LogInstalling(ILogger logger, string repositoryRoot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite installed in {Seconds:0.0} s")]
    private static partial void LogInstalled(ILogger logger, double seconds);
}
