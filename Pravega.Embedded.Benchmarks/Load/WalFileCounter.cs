using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Benchmarks.Load;

/// <summary>
/// A logger factory for the store under load that only counts the WAL's "file activated" events (Tier-1 event id
/// 1001), how many of those files were not fully prepared (zero-filled) when the log needed them, and how many files
/// were prepared from a recycled spare.
/// </summary>
internal sealed class WalFileCounter : ILoggerFactory, ILogger
{
    private const int FileActivatedEventId = 1001;
    private const int FileRecycledEventId = 1004;
    private int _activated;
    private int _recycled;
    private int _notReady;

    public int Activated => Volatile.Read(ref _activated);

    public int NotReady => Volatile.Read(ref _notReady);

    /// <summary>Files prepared from a spare (a dropped file overwritten, Tier-1 event id 1004).</summary>
    public int Recycled => Volatile.Read(ref _recycled);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == FileRecycledEventId) Interlocked.Increment(ref _recycled);
        if (eventId.Id != FileActivatedEventId) return;
        Interlocked.Increment(ref _activated);
        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            foreach (var field in fields)
                if (field.Key == "Ready" && field.Value is false) Interlocked.Increment(ref _notReady);
        }
    }

    public void Dispose() { }
}
