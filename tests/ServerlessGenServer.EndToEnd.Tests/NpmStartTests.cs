using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ServerlessGenServer.Engine;
using ServerlessGenServer.Engine.Azurite;

namespace ServerlessGenServer.EndToEnd.Tests;

/// <summary>
/// `npm start` where Core Tools are not installed (PATH holds only node and dotnet): it chooses the local host, serves
/// GET /api/health, and on Ctrl+C (SIGINT to its process group) stops every process it started, checked by PID.
/// </summary>
public sealed class NpmStartTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task NpmStart_WithoutFunc_ServesHealthThenSigintLeavesNoProcess()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // The PID checks read /proc.
        }

        var root = RepositoryRoot.Find();
        await using (await AzuriteServer.StartAsync(repositoryRoot: root))
        {
            // Only to have Azurite installed; the script starts its own.
        }

        var data = Directory.CreateTempSubdirectory("npmstart-");
        var port = FreePort();
        var azuritePorts = string.Join(',', FreePort(), FreePort(), FreePort());
        // setsid: the script leads a process group of its own, which gets the SIGINT as a terminal's Ctrl+C would send it.
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "node", "scripts/start.mjs", "--no-build", "--port", Text(port), "--azurite-ports", azuritePorts, "--azurite-location", data.FullName })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PATH"] = string.Join(Path.PathSeparator, new[] { Which("node"), Which("dotnet"), Which("setsid") }.Select(Path.GetDirectoryName).Distinct());
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var script = Process.Start(info)!;
        script.OutputDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        script.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        List<int> descendants = [];
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var healthy = await WaitForHealthAsync(http, new Uri($"http://localhost:{port}/api/health"), script);
            Assert.True(healthy, "no 200 from /api/health in time:\n" + string.Join('\n', output));
            descendants = Descendants(script.Id);
            Assert.True(descendants.Count >= 2, $"expected Azurite and the local host under the script, found {descendants.Count}");

            Signal(-script.Id, "INT"); // the whole group, as Ctrl+C
            using var stop = new CancellationTokenSource(StopTimeout);
            await script.WaitForExitAsync(stop.Token);

            Assert.Equal(0, script.ExitCode);
            Assert.All(descendants, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still running"));
            Assert.Contains(output, l => l.Contains("the local host", StringComparison.Ordinal) && l.Contains("not on the PATH", StringComparison.Ordinal));
            Assert.Contains(output, l => l.Contains($"http://localhost:{port}/api/health", StringComparison.Ordinal));
        }
        finally
        {
            if (!script.HasExited)
            {
                script.Kill(entireProcessTree: true);
            }

            foreach (var pid in descendants.Where(pid => Directory.Exists($"/proc/{pid}")))
            {
                Signal(pid, "KILL");
            }

            data.Delete(recursive: true);
        }
    }

    private static async Task<bool> WaitForHealthAsync(HttpClient http, Uri health, Process script)
    {
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        while (DateTimeOffset.UtcNow < deadline && !script.HasExited)
        {
            try
            {
                if ((await http.GetAsync(health)).StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        return false;
    }

    // Every process below pid, from /proc/<pid>/task/<tid>/children.
    private static List<int> Descendants(int pid)
    {
        var found = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var children = File.ReadAllText(Path.Combine(task, "children"))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => int.Parse(c, CultureInfo.InvariantCulture));
            foreach (var child in children)
            {
                found.Add(child);
                found.AddRange(Descendants(child));
            }
        }

        return found;
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", "--", Text(pid)]);
        kill.WaitForExit();
    }

    private static string Which(string program)
    {
        var info = new ProcessStartInfo("which", program) { RedirectStandardOutput = true, UseShellExecute = false };
        using var which = Process.Start(info)!;
        var path = which.StandardOutput.ReadToEnd().Trim();
        which.WaitForExit();
        return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
