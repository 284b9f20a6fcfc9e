using System.Diagnostics;
using System.Globalization;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>
/// CPU time of this process (the engine, its GenServers and the sender) and of the Azurite process, read from
/// /proc, so a run shows which of them used the two cores. Returns zeros where /proc is missing.
/// </summary>
public sealed class CpuMeter(int? azuritePid)
{
    private (TimeSpan Engine, TimeSpan Azurite, long Started) _start;

    /// <summary>Finds the node process serving Azurite from <paramref name="dataDirectory"/>.</summary>
    public static CpuMeter ForAzurite(string dataDirectory)
    {
        foreach (var dir in Directory.Exists("/proc") ? Directory.EnumerateDirectories("/proc") : [])
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmdline.Contains("azurite", StringComparison.Ordinal) && cmdline.Contains(dataDirectory, StringComparison.Ordinal))
                    {
                        return new CpuMeter(pid);
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }

        return new CpuMeter(null);
    }

    public void Start() => _start = (Process.GetCurrentProcess().TotalProcessorTime, AzuriteCpu(), Stopwatch.GetTimestamp());

    /// <summary>Cores used since <see cref="Start"/> (1.0 = one core fully busy) by the engine process and by Azurite.</summary>
    public (double EngineCores, double AzuriteCores) Stop()
    {
        var wall = Stopwatch.GetElapsedTime(_start.Started).TotalSeconds;
        var engine = (Process.GetCurrentProcess().TotalProcessorTime - _start.Engine).TotalSeconds / wall;
        var azurite = (AzuriteCpu() - _start.Azurite).TotalSeconds / wall;
        return (Math.Round(engine, 2), Math.Round(azurite, 2));
    }

    /// <summary>CPU time used so far by this process and by Azurite.</summary>
    public (TimeSpan Engine, TimeSpan Azurite) Totals() => (Process.GetCurrentProcess().TotalProcessorTime, AzuriteCpu());

    // utime + stime (fields 14 and 15 of /proc/PID/stat) in clock ticks, 100 per second on Linux.
    private TimeSpan AzuriteCpu()
    {
        if (azuritePid is not { } pid || !File.Exists($"/proc/{pid}/stat"))
        {
            return TimeSpan.Zero;
        }

        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}
