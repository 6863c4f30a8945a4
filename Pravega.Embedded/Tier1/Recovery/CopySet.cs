namespace Pravega.Embedded.Tier1;

/// <summary>
/// Every mirror's readable copy of one log file, read whole (one file at a time: recovery's memory is bounded by one
/// file size per mirror). A copy whose header is missing or damaged is absent (null): its bytes are never trusted.
/// </summary>
internal sealed class CopySet : IDisposable
{
    private readonly MirrorCopy?[] _copies;

    public CopySet(IStorageDevice device, IReadOnlyList<string> directories, InventoryFile file)
    {
        _copies = new MirrorCopy?[directories.Count];
        try
        {
            for (int m = 0; m < _copies.Length; m++)
            {
                if (file.Copies[m] != CopyState.Valid) continue;
                using var handle = device.OpenFile(Path.Combine(directories[m], WalFormat.FileName(file.Sequence)), DeviceOpenMode.OpenExisting);
                _copies[m] = MirrorCopy.Read(handle, file.Size);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public MirrorCopy? this[int mirror] => _copies[mirror];

    public void Dispose()
    {
        foreach (var c in _copies) c?.Dispose();
    }
}
