using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions.Queues;

/// <summary>
/// A queue message asking for a cast: <c>{"server":"counter","key":"c1","operation":"increment","input":5}</c>, optionally
/// with <c>"idempotencyKey"</c> (1 to 128 printable ASCII characters): then it is applied once per key within the window,
/// however often the message is delivered or sent.
/// </summary>
public sealed record SignalMessage(
    string? Server, string? Key, string? Operation, JsonElement? Input = null, string? IdempotencyKey = null);

/// <summary>
/// GenServer.cast from other systems: each message on the queue named by the <c>SIGNAL_QUEUE_NAME</c> app setting
/// becomes one entity signal, after the same checks as <c>POST /api/servers/{server}/{key}/cast/{operation}</c>.
/// </summary>
/// <remarks>
/// A message that fails a check is logged with the reason and the function throws: the Functions host retries it
/// (host.json <c>queues.maxDequeueCount</c>) and then moves it to the <c>-poison</c> queue. It never reaches an entity.
/// A failure to send the signal (storage unavailable) throws too, and the retry may then succeed.
/// </remarks>
public sealed partial class SignalQueueFunction(GenServerRegistry registry, GenServerClient genServers, ILogger<SignalQueueFunction> logger)
{
    [Function(nameof(SignalQueueFunction))]
    public async Task Run(
        [QueueTrigger("%SIGNAL_QUEUE_NAME%")] string message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellation)
    {
        GenServerTarget target;
        object? input;
        string? idempotencyKey;
        try
        {
            (target, input, idempotencyKey) = Read(message);
        }
        catch (ValidationException ex)
        {
            LogBadMessage(logger, ex.Message);
            throw;
        }

        await genServers.CastAsync(client, target.Id, target.Operation!.Name, input, idempotencyKey, cancellation);
        LogSignalled(logger, target.Id.Name, target.Id.Key, target.Operation.Name);
    }

    /// <exception cref="ValidationException">The message is not a valid cast.</exception>
    private (GenServerTarget Target, object? Input, string? IdempotencyKey) Read(string message)
    {
        SignalMessage? signal;
        try
        {
            signal = JsonSerializer.Deserialize<SignalMessage>(message, GenServerJson.ClientInput);
        }
        catch (JsonException ex)
        {
            throw new ValidationException($"The message is not JSON of the form {{server, key, operation, input?}}: {ex.Message}");
        }

        if (signal is not { Server: { } server, Key: { } key, Operation: { } operation })
        {
            throw new ValidationException("The message must have server, key and operation.");
        }

        var (target, problem) = GenServerTarget.Resolve(registry, server, key, operation, OperationKind.Cast);
        if (problem is not null)
        {
            throw new ValidationException(problem.Detail);
        }

        if (signal.IdempotencyKey is not null && OnceMessage.KeyProblem(signal.IdempotencyKey) is { } keyProblem)
        {
            throw new ValidationException($"idempotencyKey: {keyProblem}");
        }

        var inputJson = signal.Input is { } json ? Encoding.UTF8.GetBytes(json.GetRawText()) : [];
        return (target, target.Operation!.ReadInput(inputJson), signal.IdempotencyKey);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signal queue message refused (it goes to the poison queue after its retries): {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signal queue: cast {Server}@{Key} '{Operation}'")]
    private static partial void LogSignalled(ILogger logger, string server, string key, string operation);
}
