using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>
/// An open file of a <see cref="SimulatedDevice"/>. After <see cref="SimulatedDevice.Crash"/> or
/// <see cref="SimulatedDevice.PowerFail"/> the handle is dead: every call throws <see cref="IOException"/> (what the
/// store's fail-stop paths expect, so the old store's background threads end as on a failed disk), and
/// <see cref="Dispose"/> does nothing. After <see cref="Dispose"/> calls throw <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class SimulatedFile : IDeviceFile
{
    private readonly SimulatedDevice _device;
    private readonly int _epoch;
    private bool _disposed;

    public SimulatedFile(SimulatedDevice device, SimulatedNode node, string path, int epoch)
    {
        _device = device;
        Node = node;
        Path = path;
        _epoch = epoch;
    }

    public string Path { get; }

    internal SimulatedNode Node { get; }

    public long Length
    {
        get
        {
            lock (_device.Gate)
            {
                CheckAlive();
                return Node.VolatileLength;
            }
        }
    }

    public int Read(Span<byte> destination, long offset)
    {
        lock (_device.Gate)
        {
            CheckAlive();
            _device.BeforeRead(this, offset, destination.Length);
            return Node.Read(destination, offset);
        }
    }

    public void Write(ReadOnlySpan<byte> source, long offset)
    {
        lock (_device.Gate)
        {
            CheckAlive();
            Node.Write(source, offset, _device.DurableOffsetOfWrite(this, offset, source.Length));
            _device.NoteMutation();
        }
    }

    public void Flush()
    {
        lock (_device.Gate)
        {
            CheckAlive();
            if (_device.ShouldFailFlush(this))
            {
                _device.FailFlush(Node);
                _device.NoteMutation();
                throw new IOException($"fdatasync of '{Path}' failed (errno 5, simulated).", SimulatedNode.EIOHResult);
            }
            Node.Flush();
            _device.NoteMutation();
        }
    }

    public void Allocate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_device.Gate)
        {
            CheckAlive();
            if (_device.ShouldFailAllocate(this))
                throw new IOException($"posix_fallocate of {length} bytes failed (errno 28, simulated).", SimulatedDevice.DiskFullHResult);
            if (length > Node.VolatileLength) Node.SetLength(length);
            _device.NoteMutation();
        }
    }

    public DeviceMapping Map(int length)
    {
        lock (_device.Gate)
        {
            CheckAlive();
            return new SimulatedMapping(_device, Node, Node.Map(length), length, _epoch);
        }
    }

    public void Dispose()
    {
        lock (_device.Gate) _disposed = true;
    }

    private void CheckAlive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_epoch != _device.Epoch)
            throw new IOException($"'{Path}' was opened before a simulated {_device.LastFailure}: the process that held it is gone.");
    }
}
