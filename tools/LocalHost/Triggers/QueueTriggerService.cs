using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Triggers;

/// <summary>
/// Reads one queue-triggered function's queue with the Functions host's rules (host.json <c>extensions.queues</c>):
/// batches of <c>batchSize</c>, a failed message becomes visible again after <c>visibilityTimeout</c>, and after
/// <c>maxDequeueCount</c> failed attempts it moves to <c>{queue}-poison</c>. An empty queue is polled again after
/// 100 ms, doubling up to <c>maxPollingInterval</c>. A message that is not valid base64 (the default encoding) goes to
/// the poison queue at once.
/// </summary>
internal sealed partial class QueueTriggerService(
    FunctionInvoker invoker, QueueClient queue, QueueClient poison, QueueRules rules, DurableTaskClient client,
    IServiceProvider services, TimeProvider time, ILogger logger) : BackgroundService
{
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    // How long a message being processed stays hidden from other readers.
    private static readonly TimeSpan ProcessingVisibility = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = MinPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                QueueMessage[] messages = (await queue.ReceiveMessagesAsync(rules.BatchSize, ProcessingVisibility, stoppingToken)).Value;
                if (messages.Length > 0)
                {
                    wait = MinPollingInterval;
                    await Task.WhenAll(messages.Select(m => ProcessAsync(m, stoppingToken)));
                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Storage unreachable: log it and poll again later.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogPollFailed(logger, queue.Name, ex);
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, rules.MaxPollingInterval.Ticks));
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken cancellation)
    {
        if (Decode(message.MessageText) is not { } text)
        {
            LogNotBase64(logger, queue.Name, message.MessageId);
            await ToPoisonAsync(message, cancellation);
            return;
        }

        try
        {
            await invoker.InvokeAsync(services, new InvocationInput(client, cancellation) { Message = text });
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellation);
            return;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return; // The message reappears after its visibility timeout, as on a host that stops.
        }
#pragma warning disable CA1031 // A failed message is retried, then moved to the poison queue: the host's rule.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(logger, invoker.Function.Name, message.MessageId, message.DequeueCount, rules.MaxDequeueCount, ex);
        }

        if (message.DequeueCount >= rules.MaxDequeueCount)
        {
            await ToPoisonAsync(message, cancellation);
        }
        else
        {
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: rules.VisibilityTimeout,
                cancellationToken: cancellation);
        }
    }

    private async Task ToPoisonAsync(QueueMessage message, CancellationToken cancellation)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellation);
        await poison.SendMessageAsync(message.MessageText, cancellation);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellation);
        LogPoisoned(logger, message.MessageId, poison.Name);
    }

    private string? Decode(string text)
    {
        if (!rules.Base64Messages)
        {
            return text;
        }

        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var written))
        {
            return null;
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue {Queue}: polling failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, string queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue {Queue}: message {MessageId} is not base64 UTF-8 text")]
    private static partial void LogNotBase64(ILogger logger, string queue, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} failed on message {MessageId} (attempt {Attempt} of {MaxAttempts})")]
    private static partial void LogFailed(ILogger logger, string function, string messageId, long attempt, int maxAttempts, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} moved to {PoisonQueue}")]
    private static partial void LogPoisoned(ILogger logger, string messageId, string poisonQueue);
}
