namespace Pravega.Embedded.Tier1;

/// <summary>
/// The log file being written: one write handle per mirror. Only this file has write handles open; sealed files
/// are reached through the <see cref="WalReadCache"/>, so handles do not grow with the log.
/// </summary>
internal sealed class WalFile : IDisposable
{
    private readonly IDeviceFile[] _handles;

    private WalFile(long sequence, int size, IDeviceFile[] handles)
    {
        Sequence = sequence;
        Size = size;
        _handles = handles;
    }

    public long Sequence { get; }

    public int Size { get; }

    public static WalFile Open(IStorageDevice device, IReadOnlyList<string> directories, long sequence, int size)
    {
        var handles = new IDeviceFile[directories.Count];
        try
        {
            for (int m = 0; m < handles.Length; m++)
                handles[m] = device.OpenFile(Path.Combine(directories[m], WalFormat.FileName(sequence)), DeviceOpenMode.OpenExisting);
            return new WalFile(sequence, size, handles);
        }
        catch
        {
            foreach (var h in handles) h?.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="position"/> of one mirror and makes it durable.</summary>
    public void WriteDurably(int mirror, ReadOnlySpan<byte> data, long position)
    {
        _handles[mirror].Write(data, position);
        _handles[mirror].Flush();
    }

    public void Dispose()
    {
        foreach (var h in _handles) h.Dispose();
    }
}
