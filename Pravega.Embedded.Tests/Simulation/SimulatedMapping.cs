using System.Buffers;
using System.Runtime.InteropServices;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// A mapping of a <see cref="SimulatedFile"/>: a view of the file's page-cache array, so it shows later writes at once,
/// as a shared mapping does. Read faults (<see cref="SimulatedDevice.FailReads"/>) do not reach it: a real bad sector
/// under a mapping is a SIGBUS, which a test cannot survive. After a crash it keeps showing the old page cache (nothing
/// of a dead process runs anyway).
/// </summary>
internal sealed class SimulatedMapping : DeviceMapping
{
    private readonly SimulatedDevice _device;
    private readonly SimulatedNode _node;
    private readonly byte[] _array;
    private readonly int _length;
    private readonly int _epoch;
    private int _disposed;

    public SimulatedMapping(SimulatedDevice device, SimulatedNode node, byte[] array, int length, int epoch)
    {
        _device = device;
        _node = node;
        _array = array;
        _length = length;
        _epoch = epoch;
    }

    public override ReadOnlySpan<byte> Span => GetSpan();

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _array.AsSpan(0, _length);
    }

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        var handle = GCHandle.Alloc(_array, GCHandleType.Pinned);
        return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing || Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _device.Unmap(_node, _array, _epoch);
    }
}
