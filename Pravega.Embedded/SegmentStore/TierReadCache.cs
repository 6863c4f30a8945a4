using System.Buffers.Binary;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The cache of Tier-2 reads: <see cref="TierBlock"/>s of recently read blocks, least recently used evicted first, holding
/// at most <see cref="Capacity"/> bytes (<see cref="StreamStoreOptions.CacheSizeBytes"/>; a block being read by a caller
/// stays alive while it holds it, so memory is bounded by the capacity plus the blocks in use).
/// </summary>
internal sealed class TierReadCache
{
    private readonly IChunkStorage _storage;
    private readonly Lock _lock = new();
    private readonly Dictionary<(Segment Segment, long Block), LinkedListNode<TierBlock>> _blocks = [];
    private readonly LinkedList<TierBlock> _lru = new();
    private readonly Dictionary<(Segment Segment, long Block), Task<TierBlock>> _loading = []; // prefetches under way
    private long _bytes;

    public TierReadCache(IChunkStorage storage, long capacity)
    {
        _storage = storage;
        Capacity = capacity;
    }

    public long Capacity { get; }

    /// <summary>Bytes held (tests, diagnostics).</summary>
    public long Bytes
    {
        get
        {
            lock (_lock) return _bytes;
        }
    }

    /// <summary>The cached block that answers for <paramref name="offset"/>, if any (any thread).</summary>
    public bool TryGet(Segment segment, long offset, out TierBlock block)
    {
        lock (_lock)
        {
            if (_blocks.TryGetValue((segment, TierBlocks.Of(offset)), out var node) && node.Value.Answers(segment, offset))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                block = node.Value;
                return true;
            }
        }
        block = null!;
        return false;
    }

    /// <summary>
    /// Reads the block holding <paramref name="offset"/> from the chunks <paramref name="view"/> names, and caches it.
    /// </summary>
    /// <exception cref="ChunkNotFoundException">A chunk is gone (truncated meanwhile).</exception>
    /// <exception cref="StorageCorruptedException">The chunk's bytes are not whole events where the manifest says they are.</exception>
    public async ValueTask<TierBlock> LoadAsync(Segment segment, TierView view, long offset, CancellationToken ct)
    {
        Task<TierBlock>? running;
        lock (_lock) _loading.TryGetValue((segment, TierBlocks.Of(offset)), out running);
        if (running is not null)
        {
            try
            {
                var prefetched = await running.WaitAsync(ct).ConfigureAwait(false);
                if (prefetched.Answers(segment, offset)) return prefetched;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // the read-ahead failed: read it here, where a failure is the caller's to see
            }
        }
        return await ReadBlockAsync(segment, view, offset, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts reading, in the background, the block starting at <paramref name="offset"/> unless it is cached or being
    /// read: a reader moving through tiered bytes finds its next block read while it works on this one.
    /// </summary>
    public void Prefetch(Segment segment, TierView view, long offset)
    {
        var key = (segment, TierBlocks.Of(offset));
        lock (_lock)
        {
            if (_blocks.ContainsKey(key) || _loading.ContainsKey(key)) return;
            var load = Task.Run(async () =>
            {
                try
                {
                    return await ReadBlockAsync(segment, view, offset, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    lock (_lock) _loading.Remove(key);
                }
            });
            _loading[key] = load;
        }
    }

    /// <summary>
    /// Reads the tiered bytes <c>[from, from + destination.Length)</c> of <paramref name="segment"/> from the chunks
    /// <paramref name="view"/> names straight into <paramref name="destination"/>, bypassing the cache (a byte stream's large
    /// reads: one copy, from the page cache into the caller's memory).
    /// </summary>
    /// <exception cref="ChunkNotFoundException">A chunk is gone (truncated meanwhile).</exception>
    /// <exception cref="StorageCorruptedException">No chunk holds a byte the manifest says is tiered, or a chunk is short.</exception>
    public async ValueTask ReadRangeAsync(Segment segment, TierView view, long from, Memory<byte> destination, CancellationToken ct)
    {
        long position = from, to = from + destination.Length;
        while (position < to)
        {
            int e = SegmentManifest.Find(view.Extents, position);
            if (e < 0) throw Corrupt(segment, $"no chunk holds offset {position}");
            var extent = view.Extents[e];
            int length = (int)(Math.Min(to, extent.End) - position);
            var part = destination.Slice((int)(position - from), length);
            long chunkOffset = extent.ChunkOffset + (position - extent.Start);
            while (!part.IsEmpty)
            {
                int read = await _storage.ReadAsync(extent.Chunk, chunkOffset, part, ct).ConfigureAwait(false);
                if (read == 0) throw Corrupt(segment, $"chunk '{extent.Chunk}' ends before offset {chunkOffset}");
                part = part[read..];
                chunkOffset += read;
            }
            position += length;
        }
    }

    private async ValueTask<TierBlock> ReadBlockAsync(Segment segment, TierView view, long offset, CancellationToken ct)
    {
        long block = TierBlocks.Of(offset);
        var (from, to) = view.EventsOf(block, segment.StartOffset);
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)(to - from))); // every byte is read into it
        await ReadRangeAsync(segment, view, from, bytes, ct).ConfigureAwait(false);
        var starts = new List<int>();
        int p = segment.HoldsBytes ? bytes.Length : 0; // a byte stream's bytes have no events to find
        if (segment.HoldsBytes) starts.Add(0);
        while (p < bytes.Length)
        {
            if (p + SegmentContainer.EventHeaderSize > bytes.Length) throw Corrupt(segment, $"an event header at offset {from + p} is cut");
            starts.Add(p);
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(p));
            if (length < 0 || p + SegmentContainer.EventHeaderSize + (long)length > bytes.Length) throw Corrupt(segment, $"the event at offset {from + p} does not fit its block");
            p += SegmentContainer.EventHeaderSize + length;
        }
        bool complete = TierBlocks.StartOf(block + 1) < view.TieredLength; // else more events may start in it later
        var loaded = new TierBlock(segment, block, from, bytes, [.. starts], complete);
        Add(loaded);
        return loaded;
    }

    /// <summary>Forgets every block of <paramref name="segment"/> (deleted).</summary>
    public void Forget(Segment segment)
    {
        lock (_lock)
        {
            for (var node = _lru.First; node is not null;)
            {
                var next = node.Next;
                if (ReferenceEquals(node.Value.Segment, segment)) Remove(node);
                node = next;
            }
        }
    }

    private void Add(TierBlock block)
    {
        lock (_lock)
        {
            if (_blocks.TryGetValue((block.Segment, block.Block), out var old)) Remove(old);
            var node = _lru.AddFirst(block);
            _blocks.Add((block.Segment, block.Block), node);
            _bytes += block.Bytes.Length;
            while (_bytes > Capacity && _lru.Last is { } last && !ReferenceEquals(last, node)) Remove(last);
        }
    }

    private void Remove(LinkedListNode<TierBlock> node)
    {
        _lru.Remove(node);
        _blocks.Remove((node.Value.Segment, node.Value.Block));
        _bytes -= node.Value.Bytes.Length;
    }

    private static StorageCorruptedException Corrupt(Segment segment, string what) =>
        new($"Tier-2 data of segment {segment.SegmentId} of {segment.Scope}/{segment.Stream} is damaged: {what}.");
}
