using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SessionVoice.SettlementBench;

/// <summary>
/// The service's only log provider during a run: counts warnings and errors by event (the submitter's
/// SendRefused, NonceTaken, Replaced, …) and keeps the first few messages to show.
/// </summary>
internal sealed class EventCounter : ILoggerProvider
{
    private readonly ConcurrentDictionary<string, long> _events = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _first = new();

    public IReadOnlyDictionary<string, long> Events => _events;

    public IReadOnlyCollection<string> FirstMessages => _first;

    public ILogger CreateLogger(string categoryName) => new Counter(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Counter(EventCounter owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var name = $"{category[(category.LastIndexOf('.') + 1)..]}.{(string.IsNullOrEmpty(eventId.Name) ? logLevel.ToString() : eventId.Name)}";
            owner._events.AddOrUpdate(name, 1, (_, n) => n + 1);
            if (owner._first.Count < 20)
            {
                owner._first.Enqueue($"{logLevel} {name}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
            }
        }
    }
}
