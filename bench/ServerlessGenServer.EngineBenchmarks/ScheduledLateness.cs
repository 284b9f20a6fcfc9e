using ServerlessGenServer.Entities.GenServers;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Entities;
using ServerlessGenServer.Engine.Hosting;

namespace ServerlessGenServer.EngineBenchmarks;

/// <summary>Lateness of scheduled messages (arrival minus due time, ms; negative = early).</summary>
public sealed record LatenessResult(string Kind, int Messages, int DelayMs, Stats LatenessMs);

/// <summary>
/// Scheduled messages on a warm worker: client signals with a SignalTime (<c>client</c>), and an entity's own
/// SendAfter (<c>send_after</c>). Each message goes to the <see cref="Stamp"/> server, which records when it ran.
/// The messages are spread <see cref="Spacing"/> apart so that each one meets an idle worker, as a timer would.
/// </summary>
public sealed class ScheduledLateness(EngineHost host)
{
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(500);

    public async Task<LatenessResult> ClientSignalsAsync(int messages, int delayMs)
    {
        var id = new EntityInstanceId("stamp", "client");
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < messages; i++)
        {
            var due = now.AddMilliseconds(delayMs + i * Spacing.TotalMilliseconds);
            await host.Client.Entities.SignalEntityAsync(id, "mark", new MarkRequest(i, due.ToUnixTimeMilliseconds()),
                new SignalEntityOptions { SignalTime = due });
        }

        return new LatenessResult("client", messages, delayMs, Stats.Of(await ArrivalsAsync(id, messages)));
    }

    public async Task<LatenessResult> SendAfterAsync(int messages, int delayMs)
    {
        var id = new EntityInstanceId("stamp", "send-after");
        for (var i = 0; i < messages; i++)
        {
            await host.Client.Entities.SignalEntityAsync(id, "arm", new ArmRequest(i, delayMs));
            await Task.Delay(Spacing);
        }

        return new LatenessResult("send_after", messages, delayMs, Stats.Of(await ArrivalsAsync(id, messages)));
    }

    private async Task<List<double>> ArrivalsAsync(EntityInstanceId id, int messages)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var entity = await host.Client.Entities.GetEntityAsync(id);
            var state = GenServerEnvelope.ServerState<StampState>(entity?.State.Value); // stored inside the runtime's envelope
            if (state?.Marks.Count >= messages)
            {
                return [.. state.Marks.Values.Select(m => (double)(m.ArrivedMs - m.DueMs))];
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"Not all {messages} scheduled messages to {id} arrived within 2 minutes.");
    }
}
