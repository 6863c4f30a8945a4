using Microsoft.Win32.SafeHandles;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// One log file sequence number across all mirrors: a write handle per mirror, and a read-only mapping of the
/// first mirror's copy that serves reads (all copies are identical once an append is acknowledged).
/// </summary>
internal sealed class WalFile : IDisposable
{
    private readonly SafeFileHandle[] _handles;
    private readonly MappedMemory _map;

    private WalFile(long sequence, SafeFileHandle[] handles, MappedMemory map)
    {
        Sequence = sequence;
        _handles = handles;
        _map = map;
    }

    public long Sequence { get; }

    public ReadOnlySpan<byte> Span => _map.Span;

    /// <summary>The bytes at <paramref name="position"/>; the pages that follow are mapped ahead of the reader.</summary>
    public ReadOnlyMemory<byte> Read(int position, int length)
    {
        _map.PrefetchAhead(position, length);
        return _map.Memory.Slice(position, length);
    }

    public int MirrorCount => _handles.Length;

    public SafeFileHandle Handle(int mirror) => _handles[mirror];

    public static WalFile Open(IReadOnlyList<string> directories, long sequence, int fileSize)
    {
        var handles = new SafeFileHandle[directories.Count];
        try
        {
            for (int m = 0; m < handles.Length; m++)
                handles[m] = File.OpenHandle(Path.Combine(directories[m], WalFormat.FileName(sequence)),
                                             FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var map = MappedMemory.Open(Path.Combine(directories[0], WalFormat.FileName(sequence)), fileSize);
            return new WalFile(sequence, handles, map);
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
        RandomAccess.Write(_handles[mirror], data, position);
        NativeIO.FlushData(_handles[mirror]);
    }

    public void Dispose()
    {
        ((IDisposable)_map).Dispose();
        foreach (var h in _handles) h.Dispose();
    }
}
