using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A key-value table's index (docs/DESIGN.md, "Key-value tables"): one <see cref="TablePartition"/> per partition
/// segment, each an on-disk run plus the changes after it. A key's version is its latest put record's segment offset plus
/// one (kept by compaction's copies), so it only increases. Opened once per store open and shared by the table's handles.
/// </summary>
internal sealed class TableIndex : IAsyncDisposable
{
    private readonly Dictionary<Segment, TablePartition> _partitions = [];
    private readonly CancellationTokenSource _closing = new();

    private TableIndex(StreamState stream)
    {
        Stream = stream;
        Closing = _closing.Token;
    }

    /// <summary>The table's internal stream: one segment per partition.</summary>
    public StreamState Stream { get; }

    /// <summary>Cancelled when the index closes (store disposed or table deleted): stops merges and compactions.</summary>
    public CancellationToken Closing { get; }

    public bool IsClosed => _closing.IsCancellationRequested;

    /// <summary>Every partition's index.</summary>
    public IReadOnlyCollection<TablePartition> Partitions => _partitions.Values;

    /// <summary>The name of the internal stream behind the table <paramref name="table"/>.</summary>
    public static string StreamName(string table) => "_kvt-" + table;

    /// <summary>The table's name from its internal stream's name, or null if the stream is not a table's.</summary>
    public static string? TableName(string stream) => stream.StartsWith("_kvt-", StringComparison.Ordinal) ? stream["_kvt-".Length..] : null;

    /// <summary>The partition of a key: the active segment whose range holds its xxHash64 point in the key space.</summary>
    public TablePartition PartitionOf(ReadOnlySpan<byte> key) => _partitions[Stream.Route(KeySpace.Point(key)).Data];

    /// <summary>
    /// Opens the index of <paramref name="stream"/>'s table once everything the log accepted is durable (no table write
    /// can run meanwhile: writes go through this index, which does not exist yet).
    /// </summary>
    public static async Task<TableIndex> OpenAsync(StoreRuntime runtime, StreamState stream, CancellationToken ct)
    {
        var container = runtime.Container;
        await container.Log.WhenDurableAsync(container.Log.LastAppendedLsn, ct).ConfigureAwait(false);
        var index = new TableIndex(stream);
        List<Segment> segments;
        lock (container.Lock) segments = [.. stream.ActiveSegments.Select(s => s.Data)];
        try
        {
            foreach (var segment in segments)
                index._partitions[segment] = await TablePartition.OpenAsync(runtime, index, segment, ct).ConfigureAwait(false);
        }
        catch
        {
            await index.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return index;
    }

    /// <summary>Stops merges and compactions and waits for them (their files are the next open's to keep or sweep).</summary>
    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync().ConfigureAwait(false);
        foreach (var partition in _partitions.Values)
        {
            try
            {
                await partition.Work.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Logged where it failed.
            }
        }
    }
}
