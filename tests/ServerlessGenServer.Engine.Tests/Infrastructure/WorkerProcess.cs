using System.Diagnostics;
using System.Globalization;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>
/// The engine host in a process of its own (tests/ServerlessGenServer.Engine.Worker), so that it can be killed the hard
/// way: no graceful stop, partition leases left to expire, fetched messages left hidden until their visibility timeout.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    /// <summary>Starts a worker on <paramref name="taskHub"/> and returns once it is processing.</summary>
    public static async Task<WorkerProcess> StartAsync(string connectionString, string taskHub, TimeSpan controlQueueVisibilityTimeout)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ServerlessGenServer.Engine.Worker.dll"));
        start.ArgumentList.Add(taskHub);
        start.ArgumentList.Add(((int)controlQueueVisibilityTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        start.Environment["ENGINE_CONNECTION_STRING"] = connectionString;
        var worker = new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("The worker process did not start."));
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            string? line;
            while ((line = await worker._process.StandardOutput.ReadLineAsync(timeout.Token)) is not null && line != "ready")
            {
            }

            return line is null ? throw new InvalidOperationException($"The worker exited with code {worker.ExitCode()} before it was ready.") : worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the worker and its children at once, like a crashed instance.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private int? ExitCode() => _process.WaitForExit(TimeSpan.FromSeconds(5)) ? _process.ExitCode : null;
}
