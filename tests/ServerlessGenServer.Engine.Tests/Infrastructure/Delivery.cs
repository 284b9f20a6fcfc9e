using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Entities.Ticking;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>How punctual the engine is with a scheduled signal, as the timing assertions of the engine tests allow.</summary>
internal static class Delivery
{
    /// <summary>The earliest a scheduled signal is handled before its time: the bound the ticker allows, for the same reason.</summary>
    public static readonly TimeSpan MaxEarliness = GenServerTimer.EarlyTolerance;

    /// <summary>
    /// The latest a scheduled signal is handled after its time while the worker runs: an idle worker polls its control
    /// queues at most every <see cref="EngineHostOptions.MaxQueuePollingInterval"/> (1 s, as in host.json), and the rest
    /// is slack for a loaded two-core CI machine running Azurite, the engine and other test assemblies at once (CI saw
    /// up to 0.8 s). A signal hidden by a lost lease or a visibility timeout comes 10 s or more late: well beyond this.
    /// </summary>
    public static readonly TimeSpan MaxLateness = TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(2);
}
