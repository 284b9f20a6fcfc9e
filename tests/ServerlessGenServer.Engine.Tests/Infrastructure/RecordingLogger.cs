using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.Engine.Tests.Infrastructure;

/// <summary>One log entry: its level, its text, and the named values of its message template.</summary>
public sealed record LogEntry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values);

/// <summary>A logger that keeps what it is given, to read what a function reported (its counts, its reasons).</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        _entries.Enqueue(new LogEntry(logLevel, formatter(state, exception), values));
    }
}
