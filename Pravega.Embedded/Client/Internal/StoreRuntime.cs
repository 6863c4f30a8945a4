using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>What the client objects of one open store share: the container, the controller, reader-group coordinators.</summary>
internal sealed class StoreRuntime
{
    private readonly ConcurrentDictionary<(string Scope, string Group), ReaderGroupCoordinator> _groups = new();
    private volatile bool _disposed;

    public StoreRuntime(SegmentContainer container, StreamController controller, ILoggerFactory loggerFactory, TimeProvider time)
    {
        Container = container;
        Controller = controller;
        LoggerFactory = loggerFactory;
        Time = time;
    }

    public SegmentContainer Container { get; }
    public StreamController Controller { get; }
    public ILoggerFactory LoggerFactory { get; }
    public TimeProvider Time { get; }

    public bool IsDisposed => _disposed;

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, typeof(StreamStore));

    public void MarkDisposed() => _disposed = true;

    /// <summary>The coordinator of a group that exists (<see cref="ReaderGroupNotFoundException"/> otherwise).</summary>
    public ReaderGroupCoordinator Coordinator(string scope, string group)
    {
        var state = Controller.GetReaderGroup(scope, group);
        while (true)
        {
            var coordinator = _groups.GetOrAdd((scope, group), _ => new ReaderGroupCoordinator(this, state));
            if (ReferenceEquals(coordinator.State, state)) return coordinator;
            _groups.TryRemove(new KeyValuePair<(string, string), ReaderGroupCoordinator>((scope, group), coordinator)); // group was re-created
        }
    }

    public void ForgetGroup(string scope, string group)
    {
        if (_groups.TryRemove((scope, group), out var c)) c.Close();
    }
}
