using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ServerlessGenServer.EndToEnd.Tests.Support;

/// <summary>Keeps the last log lines of every category (bounded), for tests that look for what a trigger logged.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private const int MaxEntries = 5000;
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string category, LogLevel level, string message)
    {
        _entries.Enqueue((category, level, message));
        while (_entries.Count > MaxEntries && _entries.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            provider.Add(category, logLevel, formatter(state, exception));
        }
    }
}
