using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>
/// Holds back the durability of everything appended while it is closed: it blocks the WAL flusher in the container's
/// <see cref="SegmentContainer.BeforeDurable"/> seam, so no record becomes durable and no acknowledgement completes
/// until <see cref="Open"/> (or dispose). Records are still accepted and written; only their durability waits.
/// </summary>
internal sealed class DurabilityGate : IDisposable
{
    private readonly ManualResetEventSlim _open = new(initialState: false);
    private readonly SegmentContainer _container;

    public DurabilityGate(StreamStore store)
    {
        _container = store.Runtime.Container;
        _container.BeforeDurable = _ => _open.Wait();
    }

    public void Open() => _open.Set();

    public void Dispose()
    {
        _open.Set();
        _container.BeforeDurable = null;
    }
}
