using System.Diagnostics;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.Engine.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// The storage account goes away in the middle of a stream of casts and comes back with its data: Azurite is stopped
/// (SIGTERM, it saves to disk) and started again over the same folder and ports. Each test has a private Azurite, so
/// the shared one is not disturbed, and the class runs beside the other engine tests.
/// </summary>
/// <remarks>
/// Two halves of the stream are faulted separately, because they promise different things. The worker's half (a
/// backlog being applied while storage restarts) is exact: every queued cast is applied once. The sender's half (casts
/// being sent while storage restarts) is at least once: the storage SDK retries a send whose answer was lost, and a
/// retried send can enqueue the same signal twice. Only casts the client saw acknowledged (202) are counted; a cast
/// that failed at the client was not acknowledged and may or may not have been queued.
/// </remarks>
[Collection(PrivateAzuriteTestGroup.Name)]
public sealed class AzuriteRestartEngineTests(ITestOutputHelper output)
{
    private const int Casts = 1_500;

    /// <summary>The storage SDK's default: a send is tried at most four times (Azure.Core RetryOptions.MaxRetries = 3).</summary>
    private const int MaxAttemptsPerSend = 4;

    private static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Cast_AzuriteRestartsWhileWorkerAppliesBacklog_EveryCastAppliedExactlyOnce()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await EngineHost.StartAsync(Options(azurite, "RestartDrain") with { StartWorker = false });
        var http = new GenServerHttp(host.Registry, host.Client);
        var stream = new CastStream();
        await stream.RunAsync(http, "drain", Casts, parallelism: 16);

        await host.StartWorkerAsync();
        var appliedBefore = await Eventually.WaitForAsync(
            () => CastStream.ValueAsync(http, "drain"), v => v >= 300, "300 casts applied", TimeSpan.FromMinutes(2));
        var clock = Stopwatch.StartNew();
        await azurite.RestartAsync();
        var downtime = clock.Elapsed;
        var final = await Eventually.WaitForAsync(
            () => CastStream.ValueAsync(http, "drain"), v => v >= Casts, $"{Casts} casts applied", TimeSpan.FromMinutes(3));
        var recovery = clock.Elapsed;
        var settled = await SettledValueAsync(http, "drain", clock);

        output.WriteLine(
            $"Restarted Azurite with {appliedBefore} of {Casts} queued casts applied; it was away {downtime.TotalSeconds:0.0} s; " +
            $"{final} applied {recovery.TotalSeconds:0.0} s after the restart began, {settled} after {clock.Elapsed.TotalSeconds:0.0} s.");
        Assert.Equal(Casts, stream.Acknowledged);
        Assert.True(appliedBefore < Casts, "the backlog was applied before the restart");
        Assert.Equal(Casts, final);
        Assert.Equal(Casts, settled);
    }

    [Fact]
    public async Task Cast_AzuriteRestartsWhileCastsAreSent_NoAcknowledgedCastIsLost()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var host = await EngineHost.StartAsync(Options(azurite, "RestartSend"));
        var http = new GenServerHttp(host.Registry, host.Client);
        var stream = new CastStream();

        // The restart comes a third of the way into the stream, so that sends are under way during it however fast
        // this machine sends or applies (waiting for applied casts instead let the sender finish first on a busy one).
        var sending = stream.RunAsync(http, "send", Casts, parallelism: 4);
        await Eventually.WaitForAsync(() => Task.FromResult(stream.Sent), s => s >= Casts / 3, "a third of the casts sent", TimeSpan.FromMinutes(2));
        var appliedBefore = await CastStream.ValueAsync(http, "send");
        var clock = Stopwatch.StartNew();
        var restartFrom = Stopwatch.GetTimestamp();
        await azurite.RestartAsync();
        var restartTo = Stopwatch.GetTimestamp();
        var downtime = clock.Elapsed;
        await sending;
        var final = await Eventually.WaitForAsync(
            () => CastStream.ValueAsync(http, "send"), v => v >= stream.Acknowledged, "every acknowledged cast", TimeSpan.FromMinutes(3));
        var recovery = clock.Elapsed;
        var settled = await SettledValueAsync(http, "send", clock);
        var exposed = stream.SentDuring(restartFrom, restartTo);

        output.WriteLine(
            $"Restarted Azurite after {appliedBefore} casts were applied; it was away {downtime.TotalSeconds:0.0} s. Of {Casts} casts " +
            $"{stream.Acknowledged} were acknowledged and {stream.Failed} failed at the client; {exposed} were being sent during the restart. " +
            $"The count reached {final} {recovery.TotalSeconds:0.0} s after the restart began and was {settled} after " +
            $"{clock.Elapsed.TotalSeconds:0.0} s: {settled - stream.Acknowledged} duplicates from retried sends.");
        Assert.Equal(Casts, stream.Sent);
        Assert.True(exposed > 0, "no cast was being sent during the restart");
        Assert.True(settled >= stream.Acknowledged, $"{stream.Acknowledged - settled} acknowledged casts were lost");
        Assert.True(settled <= stream.Acknowledged + stream.Failed + (exposed * (MaxAttemptsPerSend - 1)),
            $"{settled} applied: more duplicates than the {exposed} sends exposed to the restart could have made");
    }

    private static EngineHostOptions Options(AzuriteServer azurite, string hub) => EngineFixture.NewOptions(azurite, hub) with
    {
        ConnectionString = azurite.ConnectionString,
        ControlQueueVisibilityTimeout = VisibilityTimeout,
    };

    // Messages fetched before the restart and never deleted reappear within the visibility timeout: read after that.
    private static async Task<long> SettledValueAsync(GenServerHttp http, string key, Stopwatch sinceRestart)
    {
        var settle = VisibilityTimeout + TimeSpan.FromSeconds(5) - sinceRestart.Elapsed;
        if (settle > TimeSpan.Zero)
        {
            await Task.Delay(settle);
        }

        return await CastStream.ValueAsync(http, key);
    }
}
