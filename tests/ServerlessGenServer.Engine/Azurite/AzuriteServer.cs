using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ServerlessGenServer.Engine.Azurite;

/// <summary>
/// A private Azurite (the Azure Storage emulator) on free loopback ports, storing on disk in a temporary folder.
/// It installs Azurite from the repository's package.json when it is missing, and on dispose stops the process
/// and deletes the folder. <see cref="RestartAsync"/> stops and starts it again over the same data and ports.
/// </summary>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";

    /// <summary>The emulator's well-known development key: public and documented, not a secret.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string ScriptRelativePath = "node_modules/azurite/dist/src/azurite.js";
    private const int MaxStartAttempts = 3;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(10);

    private readonly string _repositoryRoot;
    private readonly ILogger _logger;
    private readonly ProcessOutputTail _output = new();
    private Process? _process;
    private bool _disposed;

    private AzuriteServer(string repositoryRoot, string dataDirectory, bool inMemoryPersistence, ILogger logger)
    {
        _repositoryRoot = repositoryRoot;
        DataDirectory = dataDirectory;
        InMemoryPersistence = inMemoryPersistence;
        _logger = logger;
    }

    /// <summary>
    /// True when Azurite keeps its data in memory only (<c>--inMemoryPersistence</c>): nothing survives a restart, and
    /// its periodic clean-up can stall it for minutes once many messages have passed (see docs/benchmarks.md).
    /// </summary>
    public bool InMemoryPersistence { get; }

    /// <summary>The folder Azurite stores its blobs, queues and tables in (kept across <see cref="RestartAsync"/>).</summary>
    public string DataDirectory { get; }

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A connection string with explicit loopback endpoints for this instance.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    /// <summary>Installs Azurite if needed, then starts it on free ports with a new temporary data folder.</summary>
    public static Task<AzuriteServer> StartAsync(
        ILogger? logger = null, string? repositoryRoot = null, CancellationToken cancellation = default) =>
        StartAsync(inMemoryPersistence: false, logger, repositoryRoot, cancellation);

    /// <summary>As <see cref="StartAsync(ILogger?, string?, CancellationToken)"/>, optionally keeping the data in memory only.</summary>
    public static async Task<AzuriteServer> StartAsync(
        bool inMemoryPersistence, ILogger? logger = null, string? repositoryRoot = null, CancellationToken cancellation = default)
    {
        logger ??= NullLogger.Instance;
        var root = repositoryRoot ?? RepositoryRoot.Find();
        await AzuriteInstaller.EnsureInstalledAsync(root, ScriptRelativePath, logger, cancellation);

        var server = new AzuriteServer(root, Directory.CreateTempSubdirectory("azurite-").FullName, inMemoryPersistence, logger);
        try
        {
            await server.StartProcessAsync(keepPorts: false, cancellation);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the emulator and keeps its data folder. Azurite is asked to shut down first (SIGTERM), which writes its
    /// in-memory table, queue and blob metadata to disk; if it has not exited within a few seconds, its whole
    /// process tree is killed.
    /// </summary>
    public Task StopAsync() => StopAsync(graceful: true);

    /// <summary>
    /// Kills the emulator's process tree at once, as a crash would. Writes Azurite had not yet saved to disk
    /// (it saves its metadata every few seconds) are lost on the next start.
    /// </summary>
    public Task KillAsync() => StopAsync(graceful: false);

    /// <summary>Stops the emulator and starts it again over the same data folder and ports.</summary>
    public async Task RestartAsync(CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await StopAsync();
        await StartProcessAsync(keepPorts: true, cancellation);
    }

    private async Task StopAsync(bool graceful)
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            if (graceful && !process.HasExited && await SendTermAsync(process.Id))
            {
                using var grace = new CancellationTokenSource(GracefulStopTimeout);
                try
                {
                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    LogNotStoppedGracefully(_logger, process.Id);
                }
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                using var timeout = new CancellationTokenSource(StopTimeout);
                await process.WaitForExitAsync(timeout.Token);
            }

            LogStopped(_logger, process.Id, graceful);
        }
        finally
        {
            process.Dispose();
        }
    }

    // SIGTERM through kill(1): .NET's Process.Kill only sends SIGKILL. False where there is no kill(1) (Windows).
    private static async Task<bool> SendTermAsync(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        var info = new ProcessStartInfo("kill") { UseShellExecute = false };
        info.ArgumentList.Add("-TERM");
        info.ArgumentList.Add(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start(info);
        if (kill is null)
        {
            return false;
        }

        await kill.WaitForExitAsync();
        return kill.ExitCode == 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync();
        DeleteDataDirectory();
    }

    private async Task StartProcessAsync(bool keepPorts, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (!keepPorts)
            {
                (BlobPort, QueuePort, TablePort) = (FreePort(), FreePort(), FreePort());
            }

            _output.Clear();
            _process = Process.Start(CreateStartInfo()) ?? throw new InvalidOperationException("node did not start.");
            AppDomain.CurrentDomain.ProcessExit += KillOnExit;
            _process.OutputDataReceived += (_, e) => _output.Add(e.Data);
            _process.ErrorDataReceived += (_, e) => _output.Add(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();

            if (await WaitUntilReadyAsync(cancellation))
            {
                LogStarted(_logger, _process.Id, BlobPort, QueuePort, TablePort, DataDirectory);
                return;
            }

            // Another process may have taken a port between choosing it and Azurite binding it: try again.
            var output = _output.Text;
            await StopAsync(graceful: false);
            if (attempt >= MaxStartAttempts)
            {
                throw new InvalidOperationException(
                    $"Azurite did not start after {attempt} attempts (ports {BlobPort}/{QueuePort}/{TablePort}). Its output:{Environment.NewLine}{output}");
            }

            LogRetrying(_logger, attempt, output);
            if (keepPorts)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
            }
        }
    }

    private ProcessStartInfo CreateStartInfo()
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = _repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            Path.Combine(_repositoryRoot, ScriptRelativePath),
            "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
            "--blobHost", "127.0.0.1", "--blobPort", Port(BlobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Port(QueuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Port(TablePort),
        })
        {
            info.ArgumentList.Add(argument);
        }

        // Azurite refuses --location together with --inMemoryPersistence.
        info.ArgumentList.Add(InMemoryPersistence ? "--inMemoryPersistence" : "--location");
        if (!InMemoryPersistence)
        {
            info.ArgumentList.Add(DataDirectory);
        }

        return info;

        static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // True once all three ports accept connections; false if the process exits or the wait times out.
    private async Task<bool> WaitUntilReadyAsync(CancellationToken cancellation)
    {
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (_process is not { HasExited: false })
            {
                return false;
            }

            if (await AcceptsAsync(BlobPort, cancellation) && await AcceptsAsync(QueuePort, cancellation) &&
                await AcceptsAsync(TablePort, cancellation))
            {
                return true;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellation);
        }

        return false;
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellation)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellation);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Last resort if the test process ends without disposing: never leave an emulator running.
    private void KillOnExit(object? sender, EventArgs e)
    {
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void DeleteDataDirectory()
    {
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogDataNotDeleted(_logger, DataDirectory, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite {Pid} listening on blob {BlobPort}, queue {QueuePort}, table {TablePort}, data in {DataDirectory}")]
    private static partial void LogStarted(ILogger logger, int pid, int blobPort, int queuePort, int tablePort, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite {Pid} stopped (graceful: {Graceful})")]
    private static partial void LogStopped(ILogger logger, int pid, bool graceful);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite {Pid} did not exit after SIGTERM; killing it")]
    private static partial void LogNotStoppedGracefully(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite did not start (attempt {Attempt}); retrying. Output: {Output}")]
    private static partial void LogRetrying(ILogger logger, int attempt, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete Azurite's data folder {DataDirectory}")]
    private static partial void LogDataNotDeleted(ILogger logger, string dataDirectory, Exception exception);
}
