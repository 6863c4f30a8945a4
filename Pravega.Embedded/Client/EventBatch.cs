namespace Pravega.Embedded;

/// <summary>
/// A caller's buffer for batch reads (<see cref="IEventStreamReader{T}.ReadNextEventsAsync"/>): the serialized bytes of
/// the reader's next events, copied into it in one pass, with where each came from. Reused from call to call, so a
/// catch-up reader allocates nothing per event; the caller deserializes (or parses in place) what it needs.
/// </summary>
/// <remarks>
/// A batch holds events, or a checkpoint marker, or says end of stream, or nothing (the timeout passed). Events of one
/// segment are in segment order; a batch may hold events of several of the reader's segments, each segment's together.
/// An event larger than <see cref="CapacityBytes"/> cannot be read into it: size the batch for the largest event
/// written (at most <see cref="MaxEventBytes"/>). Not safe for concurrent use; its contents stay valid until it is read
/// into again.
/// </remarks>
public sealed class EventBatch
{
    /// <summary>The largest event a writer accepts (8 MiB): a batch of this capacity can take any event.</summary>
    public const int MaxEventBytes = Client.Internal.EventStreamWriter<byte[]>.MaxEventSize;

    private readonly byte[] _buffer;
    private readonly Slot[] _slots;
    private readonly List<SegmentKey> _keys = [];
    private int _used;

    /// <summary>Creates an empty batch.</summary>
    /// <param name="capacityBytes">Bytes of event data it holds (at least 16 bytes; 1 MiB by default).</param>
    /// <param name="maxEvents">Events it holds at most (at least 1; 4,096 by default).</param>
    /// <exception cref="ArgumentOutOfRangeException">A bound is below its minimum.</exception>
    public EventBatch(int capacityBytes = 1 << 20, int maxEvents = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        _buffer = GC.AllocateUninitializedArray<byte>(capacityBytes);
        _slots = new Slot[maxEvents];
    }

    /// <summary>Bytes of event data the batch holds at most.</summary>
    public int CapacityBytes => _buffer.Length;

    /// <summary>Events the batch holds at most.</summary>
    public int MaxEvents => _slots.Length;

    /// <summary>Events read into it by the last call.</summary>
    public int Count { get; private set; }

    /// <summary>The serialized bytes of event <paramref name="index"/> (as the writer's serializer wrote them).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public ReadOnlyMemory<byte> this[int index]
    {
        get
        {
            CheckIndex(index);
            ref readonly var slot = ref _slots[index];
            return _buffer.AsMemory(slot.Start, slot.Length);
        }
    }

    /// <summary>A pointer to event <paramref name="index"/>, to fetch it again later (<see cref="IStreamStore.FetchEventAsync"/>).</summary>
    /// <param name="index">The event's index in the batch.</param>
    /// <returns>The event's pointer (a new object: call it for the events that need one).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public EventPointer GetPointer(int index)
    {
        CheckIndex(index);
        ref readonly var slot = ref _slots[index];
        return new EventPointer(_keys[slot.Segment], slot.Offset, SegmentStore.SegmentContainer.EventHeaderSize + slot.Length);
    }

    /// <summary>The reader's position after the batch (after its last event), as <see cref="EventRead{T}.Position"/> is; null before the first read.</summary>
    public Position? Position { get; private set; }

    /// <summary>The name of the checkpoint the batch marks (it then holds no events), or null.</summary>
    public string? CheckpointName { get; private set; }

    /// <summary>The reader's segments are all read to their ends (no events in the batch).</summary>
    public bool IsEndOfStream { get; private set; }

    // ---- filled by the reader ----

    /// <summary>Empties the batch for a new read.</summary>
    internal void Reset()
    {
        Count = 0;
        _used = 0;
        _keys.Clear();
        Position = null;
        CheckpointName = null;
        IsEndOfStream = false;
    }

    /// <summary>Starts the events of another segment (returns its number for <see cref="TryAdd"/>).</summary>
    internal int AddSegment(SegmentKey key)
    {
        _keys.Add(key);
        return _keys.Count - 1;
    }

    /// <summary>Whether no event fits any more (bytes or slots).</summary>
    internal bool IsFull => Count == _slots.Length || _used == _buffer.Length;

    /// <summary>Copies an event in, if it fits: its serialized bytes, and where it starts in segment <paramref name="segment"/>.</summary>
    internal bool TryAdd(ReadOnlySpan<byte> serialized, int segment, long offset)
    {
        if (Count == _slots.Length || serialized.Length > _buffer.Length - _used) return false;
        serialized.CopyTo(_buffer.AsSpan(_used));
        _slots[Count] = new Slot(_used, serialized.Length, offset, segment);
        _used += serialized.Length;
        Count++;
        return true;
    }

    /// <summary>The whole buffer, for a read of raw segment bytes into it (<see cref="FindInPlace"/>).</summary>
    internal Memory<byte> Buffer => _buffer;

    /// <summary>
    /// Finds the events in the first <paramref name="read"/> bytes of the buffer, raw segment bytes from
    /// <paramref name="offset"/> read into it: see <see cref="AddRaw"/>. Returns the offset after the last found.
    /// </summary>
    internal long FindInPlace(int read, int segment, long offset, long end)
    {
        _used = 0;
        Parse(read, segment, ref offset, end);
        _used = _buffer.Length; // nothing more is copied in behind bytes read in place
        return offset;
    }

    /// <summary>
    /// Copies a run of raw segment bytes (<c>[i32 length][event]</c> entries from <paramref name="offset"/>, the first at an
    /// event boundary, as a Tier-2 block holds them) in one copy, as much as fits, and finds its events there: each that
    /// lies wholly in what was copied and starts before <paramref name="end"/>. Returns how many were added;
    /// <paramref name="offset"/> moves past them.
    /// </summary>
    internal int AddRaw(ReadOnlySpan<byte> raw, int segment, ref long offset, long end)
    {
        int length = Math.Min(raw.Length, _buffer.Length - _used);
        raw[..length].CopyTo(_buffer.AsSpan(_used));
        int before = Count;
        Parse(length, segment, ref offset, end);
        return Count - before;
    }

    /// <summary>Registers the whole events among the <paramref name="available"/> bytes at the buffer's used end, in place.</summary>
    /// <exception cref="StorageCorruptedException">A length is negative (the bytes are not events).</exception>
    private void Parse(int available, int segment, ref long offset, long end)
    {
        int at = _used, limit = _used + available;
        var buffer = _buffer;
        var slots = _slots;
        int count = Count;
        while (count < slots.Length && offset < end && limit - at >= SegmentStore.SegmentContainer.EventHeaderSize)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(at));
            if (length < 0) throw new StorageCorruptedException($"Tier-2 data of segment {_keys[segment]} is damaged: a negative event length at offset {offset}.");
            int start = at + SegmentStore.SegmentContainer.EventHeaderSize;
            if (length > limit - start) break;
            slots[count++] = new Slot(start, length, offset, segment);
            at = start + length;
            offset += SegmentStore.SegmentContainer.EventHeaderSize + length;
        }
        Count = count;
        _used = at;
    }

    /// <summary>Where an event lies in the buffer, and in its segment (<paramref name="Segment"/>: its number in the batch).</summary>
    private readonly record struct Slot(int Start, int Length, long Offset, int Segment);

    /// <summary>Takes back the events from <paramref name="count"/> on (a segment taken from the reader meanwhile).</summary>
    internal void TruncateTo(int count)
    {
        if (count >= Count) return;
        _used = _slots[count].Start;
        Count = count;
    }

    internal void Finish(Position position, string? checkpoint = null, bool endOfStream = false)
    {
        Position = position;
        CheckpointName = checkpoint;
        IsEndOfStream = endOfStream;
    }

    /// <summary>Scratch space for the index entries a read walks (reader only).</summary>
    internal SegmentStore.SegmentIndexEntry[] Entries { get; } = new SegmentStore.SegmentIndexEntry[256];

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch holds {Count} events.");
    }
}
