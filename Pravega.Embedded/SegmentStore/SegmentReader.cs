using System.Buffers;
using System.Buffers.Binary;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The one place that reads "the event at offset X of segment S", for the reader, the batch client and
/// FetchEventAsync: it finds the index entry, tells truncated, not yet durable and ended apart, and deserializes the
/// event with the caller's serializer. Event bytes are read where they lie (today the mapped WAL; later Tier-2
/// chunks for a segment's older bytes), and only inside <see cref="ReadEvent"/>: the serializer runs there, so the
/// memory it sees needs to stay valid for that call only, and <see cref="CloseAsync"/> can wait for it.
/// </summary>
internal sealed class SegmentReader
{
    private readonly SegmentContainer _container;
    private readonly string _ownerName;
    private int _activeReads;
    private int _closed;

    /// <param name="container">The container whose segments are read.</param>
    /// <param name="ownerName">Named in the <see cref="ObjectDisposedException"/> of a read after <see cref="CloseAsync"/>.</param>
    public SegmentReader(SegmentContainer container, string ownerName)
    {
        _container = container;
        _ownerName = ownerName;
    }

    /// <summary>
    /// The event at <paramref name="offset"/> of <paramref name="segment"/>, if it is durable and not truncated,
    /// deserialized by <paramref name="serializer"/> from memory valid only during that call; otherwise why not.
    /// Tiered bytes are read from <paramref name="hint"/> (the block the caller loaded last) or the Tier-2 cache;
    /// <see cref="SegmentReadStatus.InTier2"/> when neither holds them. Lock-free; any number of calls at once.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The reader is closed (the store is disposing).</exception>
    public SegmentRead<T> ReadEvent<T>(Segment segment, long offset, ISerializer<T> serializer, TierBlock? hint = null)
    {
        // A reader going through tiered bytes holds the block it reads: no index search (the index no longer has them).
        if (hint is not null && offset >= segment.StartOffset && offset < segment.TieredLength && hint.Answers(segment, offset))
            return ReadTiered(segment, offset, serializer, hint);
        if (!segment.TryFind(offset, out var entry))
        {
            // Truncation is checked after the lookup failed, so a truncation made durable meanwhile is reported as such.
            long start = segment.StartOffset;
            if (offset < start) return SegmentRead<T>.Truncated(start);
            if (offset < segment.TieredLength) return ReadTiered(segment, offset, serializer, hint);
            return SegmentRead<T>.Not(segment.IsSealedDurable && offset >= segment.DurableLength
                ? SegmentReadStatus.EndOfSegment
                : SegmentReadStatus.NotYetAvailable);
        }
        if (entry.Offset != offset) return SegmentRead<T>.Not(SegmentReadStatus.NotAtEventBoundary);
        try
        {
            return SegmentRead<T>.Of(Deserialize(entry, serializer), offset, entry.Length);
        }
        catch (WalFileDroppedException)
        {
            // Found just before a truncation passed it (or its stream was deleted, or it was tiered) and a checkpoint
            // dropped its file: truncated, as a later look says, or in Tier-2; for a deleted stream nothing more comes,
            // and its readers are told so.
            long start = segment.StartOffset;
            if (start > offset) return SegmentRead<T>.Truncated(start);
            if (offset < segment.TieredLength) return ReadTiered(segment, offset, serializer, hint);
            if (segment.IsDeleted) return SegmentRead<T>.Not(SegmentReadStatus.NotYetAvailable);
            // Live, untiered and not truncated, yet its file is gone: the store dropped a file it needed. Said, not waited on.
            throw new StorageCorruptedException(
                $"Segment {segment.SegmentId} of {segment.Scope}/{segment.Stream}: the WAL file holding offset {offset} was dropped while its bytes were still live.");
        }
    }

    /// <summary>
    /// Loads the Tier-2 block holding <paramref name="offset"/> (after <see cref="SegmentReadStatus.InTier2"/>), for the
    /// caller to pass to <see cref="ReadEvent"/>; null when the offset is not readable there any more (read again).
    /// </summary>
    public async ValueTask<TierBlock?> LoadAsync(Segment segment, long offset, CancellationToken ct)
    {
        var tierer = _container.Tierer ?? throw new InvalidOperationException("The store has no Tier-2.");
        Interlocked.Increment(ref _activeReads);
        try
        {
            if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
            return await tierer.LoadBlockAsync(segment, offset, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }
    }

    private SegmentRead<T> ReadTiered<T>(Segment segment, long offset, ISerializer<T> serializer, TierBlock? hint)
    {
        var block = hint is not null && hint.Answers(segment, offset) ? hint
            : _container.Tierer?.Cache.TryGet(segment, offset, out var cached) == true ? cached : null;
        if (block is null) return SegmentRead<T>.Not(SegmentReadStatus.InTier2);
        if (!block.IsEventStart(offset)) return SegmentRead<T>.Not(SegmentReadStatus.NotAtEventBoundary);
        if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
        int at = (int)(offset - block.From);
        int length = BinaryPrimitives.ReadInt32LittleEndian(block.Bytes.AsSpan(at));
        var value = serializer.Deserialize(new ReadOnlySequence<byte>(block.Bytes, at + SegmentContainer.EventHeaderSize, length));
        return SegmentRead<T>.Of(value, offset, SegmentContainer.EventHeaderSize + length);
    }

    /// <summary>Refuses new reads, then waits for the reads in progress: after it, no one uses the memory of the log.</summary>
    public async Task CloseAsync()
    {
        Interlocked.Exchange(ref _closed, 1); // a full fence: no read can miss the flag and be missed by the wait below
        while (Volatile.Read(ref _activeReads) > 0) await Task.Delay(1).ConfigureAwait(false);
    }

    /// <summary>Segment bytes <c>[i32 length][event]</c> to the event, with the log's memory in use only meanwhile.</summary>
    private T Deserialize<T>(in SegmentIndexEntry entry, ISerializer<T> serializer)
    {
        Interlocked.Increment(ref _activeReads);
        try
        {
            if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
            using var lease = _container.Read(entry); // keeps the WAL file mapped while the serializer runs
            var bytes = lease.Memory;
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span);
            return serializer.Deserialize(new ReadOnlySequence<byte>(bytes.Slice(SegmentContainer.EventHeaderSize, length)));
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }
    }
}
