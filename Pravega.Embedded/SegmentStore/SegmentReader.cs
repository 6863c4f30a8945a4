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
    /// <exception cref="InvalidOperationException">The segment holds a byte stream's bytes, not events.</exception>
    public SegmentRead<T> ReadEvent<T>(Segment segment, long offset, ISerializer<T> serializer, TierBlock? hint = null)
    {
        if (segment.HoldsBytes) ThrowHelper.ThrowInvalidOperation($"Stream {segment.Scope}/{segment.Stream} is a byte stream; it holds no events to read.");
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
    /// <see cref="ReadEvent"/>, loading the Tier-2 block when the event is only there (<see cref="LoadAsync"/>) and reading
    /// again with it: any status but <see cref="SegmentReadStatus.InTier2"/>, and the block read last, for the caller to
    /// pass as <paramref name="hint"/> to its next read (a reader going on through tiered bytes).
    /// </summary>
    public async ValueTask<(SegmentRead<T> Read, TierBlock? Hint)> ReadEventAsync<T>(Segment segment, long offset, ISerializer<T> serializer, TierBlock? hint, CancellationToken ct)
    {
        var read = ReadEvent(segment, offset, serializer, hint);
        while (read.Status == SegmentReadStatus.InTier2)
        {
            hint = await LoadAsync(segment, offset, ct).ConfigureAwait(false);
            read = ReadEvent(segment, offset, serializer, hint);
        }
        return (read, hint);
    }

    /// <summary>
    /// Copies the serialized bytes of the durable events of <paramref name="segment"/> from <paramref name="offset"/> up to
    /// <paramref name="endOffset"/> (an end cut's; <see cref="long.MaxValue"/>: none) into
    /// <paramref name="batch"/> (as segment <paramref name="key"/> of it), as many as fit and are readable without waiting:
    /// from the mapped WAL, one index search per run of entries, or from Tier-2 blocks in <paramref name="hint"/> or the
    /// cache. <see cref="SegmentReadStatus.Event"/> when at least one was copied (<see cref="BatchRead.NextOffset"/> after the
    /// last); otherwise why none was, as <see cref="ReadEvent"/> says it, or <see cref="BatchRead.Needed"/> bytes when the
    /// next event does not fit an empty batch. Lock-free.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The reader is closed (the store is disposing).</exception>
    /// <exception cref="InvalidOperationException">The segment holds a byte stream's bytes, not events.</exception>
    public BatchRead ReadEvents(Segment segment, long offset, long endOffset, EventBatch batch, int key, TierBlock? hint)
    {
        if (segment.HoldsBytes) ThrowHelper.ThrowInvalidOperation($"Stream {segment.Scope}/{segment.Stream} is a byte stream; it holds no events to read.");
        int copied = 0;
        Interlocked.Increment(ref _activeReads);
        try
        {
            if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
            while (!batch.IsFull && offset < endOffset)
            {
                if (offset >= segment.StartOffset && offset < segment.TieredLength)
                {
                    var block = BlockAt(segment, offset, hint);
                    if (block is null) return Done(SegmentReadStatus.InTier2);
                    if (!block.IsEventStart(offset)) return Done(SegmentReadStatus.NotAtEventBoundary);
                    long end = Math.Min(block.To, segment.TieredLength);
                    if (offset < end)
                    {
                        // The block holds the events back to back: one copy of as many as fit, found in place.
                        int at = (int)(offset - block.From);
                        int added = batch.AddRaw(block.Bytes.AsSpan(at, (int)(end - offset)), key, ref offset, endOffset);
                        copied += added;
                        if (added == 0)
                        {
                            if (copied > 0 || offset >= endOffset) return Done(SegmentReadStatus.Event);
                            return new BatchRead(SegmentReadStatus.Event, 0, offset, 0, BinaryPrimitives.ReadInt32LittleEndian(block.Bytes.AsSpan(at)));
                        }
                        if (offset < end) continue; // the batch is full, or at the end cut
                    }
                    hint = null; // the next block, from the cache
                    continue;
                }
                var entries = batch.Entries;
                int found = segment.CopyEntries(offset, entries);
                if (found < 0) return Done(SegmentReadStatus.NotAtEventBoundary);
                if (found == 0)
                {
                    // Truncation and tiering are checked after the lookup failed, so one made durable meanwhile is seen.
                    if (offset < segment.StartOffset) return copied > 0 ? Done(SegmentReadStatus.Event) : new BatchRead(SegmentReadStatus.Truncated, 0, offset, segment.StartOffset, 0);
                    if (offset < segment.TieredLength) continue;
                    return Done(segment.IsSealedDurable && offset >= segment.DurableLength ? SegmentReadStatus.EndOfSegment : SegmentReadStatus.NotYetAvailable);
                }
                try
                {
                    for (int i = 0; i < found; i++)
                    {
                        ref readonly var entry = ref entries[i];
                        if (entry.Offset >= endOffset) break;
                        using var lease = _container.Read(entry);
                        var bytes = lease.Memory.Span;
                        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes);
                        if (!batch.TryAdd(bytes.Slice(SegmentContainer.EventHeaderSize, length), key, offset))
                            return copied > 0 ? Done(SegmentReadStatus.Event) : new BatchRead(SegmentReadStatus.Event, 0, offset, 0, length);
                        offset = entry.End;
                        copied++;
                    }
                }
                catch (WalFileDroppedException)
                {
                    // Truncated, tiered or deleted meanwhile, and a checkpoint dropped the file: a later look says which.
                    if (copied > 0) return Done(SegmentReadStatus.Event);
                    if (segment.StartOffset > offset) return new BatchRead(SegmentReadStatus.Truncated, 0, offset, segment.StartOffset, 0);
                    if (offset < segment.TieredLength) continue;
                    if (segment.IsDeleted) return Done(SegmentReadStatus.NotYetAvailable);
                    throw new StorageCorruptedException(
                        $"Segment {segment.SegmentId} of {segment.Scope}/{segment.Stream}: the WAL file holding offset {offset} was dropped while its bytes were still live.");
                }
                if (found < entries.Length) break; // the index had no more durable entries: what is there is read
            }
            return Done(SegmentReadStatus.Event);
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }

        BatchRead Done(SegmentReadStatus status) => new(copied > 0 ? SegmentReadStatus.Event : status, copied, offset, 0, 0);
    }

    /// <summary>
    /// Copies durable bytes of a byte stream's segment from <paramref name="offset"/> into <paramref name="destination"/>:
    /// those that lie in one index entry or Tier-2 block, as many as fit (at least one when any byte is readable there),
    /// or why none: <see cref="SegmentReadStatus.Truncated"/>, <see cref="SegmentReadStatus.NotYetAvailable"/>,
    /// <see cref="SegmentReadStatus.EndOfSegment"/>, <see cref="SegmentReadStatus.InTier2"/> (load the block, read again
    /// with it as <paramref name="hint"/>). Lock-free; one copy, from where the bytes lie into the caller's memory.
    /// </summary>
    public BytesRead ReadBytes(Segment segment, long offset, Span<byte> destination, TierBlock? hint = null)
    {
        if (destination.IsEmpty) return new BytesRead(SegmentReadStatus.Event, 0, 0);
        long start = segment.StartOffset;
        if (offset < start) return new BytesRead(SegmentReadStatus.Truncated, 0, start);
        if (offset < segment.TieredLength)
        {
            var block = BlockAt(segment, offset, hint);
            if (block is null || offset < block.From) return new BytesRead(SegmentReadStatus.InTier2, 0, 0);
            int count = (int)Math.Min(destination.Length, Math.Min(block.To, segment.TieredLength) - offset);
            block.Bytes.AsSpan((int)(offset - block.From), count).CopyTo(destination);
            return new BytesRead(SegmentReadStatus.Event, count, 0);
        }
        if (!segment.TryFind(offset, out var entry))
        {
            start = segment.StartOffset; // a truncation made durable meanwhile is reported as such
            if (offset < start) return new BytesRead(SegmentReadStatus.Truncated, 0, start);
            if (offset < segment.TieredLength) return ReadBytes(segment, offset, destination, hint);
            if (offset < segment.DurableLength && !segment.IsDeleted)
                throw new StorageCorruptedException(
                    $"Segment {segment.SegmentId} of {segment.Scope}/{segment.Stream}: durable, live byte {offset} is neither indexed nor in Tier-2.");
            return new BytesRead(segment.IsSealedDurable && offset >= segment.DurableLength ? SegmentReadStatus.EndOfSegment : SegmentReadStatus.NotYetAvailable, 0, 0);
        }
        Interlocked.Increment(ref _activeReads);
        try
        {
            if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
            using var lease = _container.Read(entry);
            int at = (int)(offset - entry.Offset);
            int count = Math.Min(destination.Length, entry.Length - at);
            lease.Memory.Span.Slice(at, count).CopyTo(destination);
            return new BytesRead(SegmentReadStatus.Event, count, 0);
        }
        catch (WalFileDroppedException)
        {
            // Truncated or tiered meanwhile (a checkpoint dropped the file): a later look says which.
            if (segment.IsDeleted) return new BytesRead(SegmentReadStatus.NotYetAvailable, 0, 0);
            if (segment.StartOffset > offset || offset < segment.TieredLength) return ReadBytes(segment, offset, destination, hint);
            throw new StorageCorruptedException(
                $"Segment {segment.SegmentId} of {segment.Scope}/{segment.Stream}: the WAL file holding offset {offset} was dropped while its bytes were still live.");
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
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

    /// <summary>
    /// Reads a byte stream's tiered bytes from <paramref name="offset"/> straight into <paramref name="destination"/> (after
    /// <see cref="SegmentReadStatus.InTier2"/>; no block, no cache): the count, 0 when the offset is not readable there any
    /// more (read again).
    /// </summary>
    public async ValueTask<int> ReadTieredAsync(Segment segment, long offset, Memory<byte> destination, CancellationToken ct)
    {
        var tierer = _container.Tierer ?? throw new InvalidOperationException("The store has no Tier-2.");
        Interlocked.Increment(ref _activeReads);
        try
        {
            if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
            return await tierer.ReadDirectAsync(segment, offset, destination, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _activeReads);
        }
    }

    private SegmentRead<T> ReadTiered<T>(Segment segment, long offset, ISerializer<T> serializer, TierBlock? hint)
    {
        var block = BlockAt(segment, offset, hint);
        if (block is null) return SegmentRead<T>.Not(SegmentReadStatus.InTier2);
        if (!block.IsEventStart(offset)) return SegmentRead<T>.Not(SegmentReadStatus.NotAtEventBoundary);
        if (Volatile.Read(ref _closed) != 0) ThrowHelper.ThrowObjectDisposed(_ownerName);
        int at = (int)(offset - block.From);
        int length = BinaryPrimitives.ReadInt32LittleEndian(block.Bytes.AsSpan(at));
        var value = serializer.Deserialize(new ReadOnlySequence<byte>(block.Bytes, at + SegmentContainer.EventHeaderSize, length));
        return SegmentRead<T>.Of(value, offset, SegmentContainer.EventHeaderSize + length);
    }

    /// <summary>The Tier-2 block holding <paramref name="offset"/>: <paramref name="hint"/> if it does, else the cache's; null when neither has it.</summary>
    private TierBlock? BlockAt(Segment segment, long offset, TierBlock? hint) =>
        hint is not null && hint.Answers(segment, offset) ? hint
            : _container.Tierer?.Cache.TryGet(segment, offset, out var cached) == true ? cached : null;

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

/// <summary>
/// The answer of <see cref="SegmentReader.ReadBytes"/>: <see cref="SegmentReadStatus.Event"/> with the bytes copied, or why
/// none were, with the segment's start offset for <see cref="SegmentReadStatus.Truncated"/>.
/// </summary>
internal readonly record struct BytesRead(SegmentReadStatus Status, int Count, long StartOffset);

/// <summary>
/// The answer of <see cref="SegmentReader.ReadEvents"/>: <see cref="SegmentReadStatus.Event"/> with <paramref name="Count"/>
/// events copied and the offset after them, or why none was (the start offset for a truncation; <paramref name="Needed"/>
/// bytes when the next event does not fit the empty batch).
/// </summary>
internal readonly record struct BatchRead(SegmentReadStatus Status, int Count, long NextOffset, long StartOffset, int Needed);
