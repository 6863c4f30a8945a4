using System.Buffers;
using Microsoft.Extensions.Logging;
using Pravega.Embedded.Tier1;
using Pravega.Embedded.Tier2;

namespace Pravega.Embedded.SegmentStore;

/// <summary>
/// The tierer (docs/DESIGN.md, "Tiering"): moves segment bytes out of the WAL into Tier-2 in large sequential passes,
/// records each new tiered length in the WAL (<see cref="SegmentContainer.RecordTiered"/>), and asks for a checkpoint so
/// that the WAL files holding only tiered bytes go. It also removes the Tier-2 data that truncation and stream deletion
/// free, and at start loads every segment's manifest and sweeps orphans (<see cref="OrphanSweep"/>).
/// </summary>
/// <remarks>
/// One round at a time (<see cref="RunOnceAsync"/>), on its own loop, or driven by the test when the log is stepped.
/// A segment is tiered when its untiered bytes reach <see cref="TieringOptions.FlushThresholdBytes"/>, when it is sealed,
/// or when its oldest untiered byte lies in a WAL file that keeps the log above half of
/// <see cref="StreamStoreOptions.Tier1MaxBytes"/> (<see cref="TieringOptions.KeepFiles"/>): so the log stays well within its bound once tiering caught up, and small
/// segments are not tiered in small pieces. A pass or deletion that fails is logged and the segment is left alone until
/// the next open (a failed sync is never retried).
/// </remarks>
internal sealed partial class SegmentTierer : IAsyncDisposable
{
    private readonly SegmentContainer _container;
    private readonly IChunkStorage _storage;
    private readonly List<SegmentIndexEntry> _passEntries = [];
    private readonly TieringOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<Segment, SegmentTierWriter> _writers = [];
    private readonly HashSet<Segment> _truncated = [];
    private readonly List<(string Prefix, long Lsn)> _deleted = [];
    private readonly DataSignal _work = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    private bool _started;

    public SegmentTierer(SegmentContainer container, IChunkStorage storage, TieringOptions options, ILoggerFactory loggerFactory)
    {
        _container = container;
        _storage = storage;
        _options = options;
        _logger = loggerFactory.CreateLogger("Pravega.Embedded.Tiering");
        Cache = new TierReadCache(storage, options.CacheSizeBytes);
    }

    /// <summary>The cache of Tier-2 reads.</summary>
    public TierReadCache Cache { get; }

    /// <summary>Completes once every segment's manifest is loaded and orphans are swept (reads of tiered bytes wait for it).</summary>
    public Task Ready => _ready.Task;

    /// <summary>Starts the loop (not for a stepped log: the test calls <see cref="RunOnceAsync"/>).</summary>
    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>Something may be there to tier or delete (any thread; cheap).</summary>
    public void Wake() => _work.Signal();

    /// <summary>A truncation of <paramref name="segment"/> is durable: its chunks wholly before the start can go (container lock).</summary>
    public void OnTruncated(Segment segment)
    {
        lock (_lock) _truncated.Add(segment);
    }

    /// <summary>
    /// <paramref name="segment"/>'s stream is being deleted by the record at <paramref name="lsn"/> (container lock; 0 on
    /// replay, durable already): its Tier-2 data goes once that record is durable.
    /// </summary>
    public void OnDeleted(Segment segment, long lsn)
    {
        Cache.Forget(segment);
        lock (_lock)
        {
            _writers.Remove(segment);
            if (lsn > 0) _deleted.Add((segment.TierPrefix, lsn)); // after a replayed deletion, the sweep at start removes the data
        }
    }

    /// <summary>
    /// One round: at the first, load manifests and sweep orphans; then remove what durable deletions and truncations
    /// freed, tier every segment that is due, and, if anything was tiered, ask for a checkpoint. Returns whether it did
    /// anything.
    /// </summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        if (!_started)
        {
            _started = true;
            try
            {
                await LoadAndSweepAsync(ct).ConfigureAwait(false);
                _ready.TrySetResult();
            }
            catch (Exception e)
            {
                _ready.TrySetException(e);
                throw;
            }
        }
        bool worked = await DeleteFreedAsync(ct).ConfigureAwait(false);
        int passes = 0;
        foreach (var segment in Due())
            if (await PassAsync(segment, ct).ConfigureAwait(false)) passes++;
        foreach (var (transaction, entries) in DueStagings())
            if (await StagePassAsync(transaction, entries, ct).ConfigureAwait(false)) passes++;
        if (passes > 0 && FreesAFile()) _container.RequestCheckpoint();
        return worked || passes > 0;
    }

    /// <summary>
    /// Whether a checkpoint now would drop the log's oldest file: no untiered live byte is left in it. Otherwise the
    /// checkpoint at the next new file is soon enough (each costs a synced file in every mirror).
    /// </summary>
    private bool FreesAFile()
    {
        var files = _container.Log.FileSequences;
        if (files.Count < 2) return false;
        lock (_container.Lock)
        {
            if (_container.OldestOpenTransactionFile <= files[0]) return false;
            foreach (var segment in _container.Untiered)
                if (segment.OldestUntieredFile <= files[0]) return false;
        }
        return true;
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            var next = _work.NextAsync; // taken before the round: work arriving during it is not missed
            try
            {
                if (await RunOnceAsync(ct).ConfigureAwait(false)) continue;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // the loop outlives a failed round: the failure is logged, the data stays in Tier-1
            catch (Exception e)
#pragma warning restore CA1031
            {
                TieringLog.RoundFailed(_logger, e);
                if (!_ready.Task.IsCompletedSuccessfully) return; // the start failed: nothing is tiered (the open refuses)
            }
            try
            {
                // Idle rounds are paced: a signal comes with every commit, and a round looks at every untiered segment.
                await Task.Delay(_options.IdlePace, ct).ConfigureAwait(false);
                await next.WaitAsync(_options.IdleRecheck, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // look again: files may need freeing although no segment signalled
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Loads the committed manifest of every segment with tiered bytes (publishing its view), then deletes every chunk
    /// no committed manifest refers to and the manifests of segments that no longer exist.
    /// </summary>
    private async Task LoadAndSweepAsync(CancellationToken ct)
    {
        var all = new List<string>();
        await foreach (string name in _storage.ListAsync("", ct).ConfigureAwait(false)) all.Add(name);
        var existing = all.Where(n => !ChunkNames.IsDataChunk(n)).ToHashSet(StringComparer.Ordinal);
        List<(Segment Segment, long Start, long Tiered)> segments;
        List<(TransactionState Transaction, StagedChunk Chunk, string Name)> staged;
        lock (_container.Lock)
        {
            segments = [.. _container.AllSegments.Select(s => (s, s.StartOffset, s.TieredLength))];
            foreach (var (s, _, _) in segments) _container.NoteUntiered(s);
            staged = [.. _container.StagedChunks];
        }
        var referenced = CheckStagings(staged, all);
        var live = new Dictionary<string, SegmentManifest>(StringComparer.Ordinal);
        foreach (var (segment, start, tiered) in segments)
        {
            string prefix = segment.TierPrefix;
            string manifestName = ChunkNames.Manifest(prefix);
            if (!existing.Contains(manifestName))
            {
                // Nothing of it was ever tiered (or a deletion removed it): its writer is made at its first pass.
                if (tiered > start)
                    throw new StorageCorruptedException(
                        $"Segment {segment.SegmentId} of {segment.Scope}/{segment.Stream} has {tiered - start} bytes recorded as tiered, but its Tier-2 manifest '{manifestName}' is gone.",
                        directory: null, manifestName, offset: null, lsn: null);
                continue;
            }
            var bytes = await _storage.ReadAllAsync(manifestName, ct).ConfigureAwait(false) ?? [];
            var manifest = SegmentManifest.Load(bytes, _container.Log.StoreId, start, tiered, manifestName);
            live[prefix] = manifest;
            var writer = NewWriter(prefix, manifest);
            lock (_lock) _writers[segment] = writer;
            if (manifest.TieredLength > manifest.Start) segment.View = manifest.Snapshot();
        }
        var removed = await OrphanSweep.RunAsync(_storage, live, all, referenced, ct).ConfigureAwait(false); // one listing of Tier-2 for both
        if (removed.Count > 0) TieringLog.OrphansRemoved(_logger, removed.Count);
    }

    /// <summary>
    /// Deletes the Tier-2 data of segments whose deletion is durable (and the stagings of transactions whose end is), and
    /// the chunks durable truncations passed.
    /// </summary>
    private async Task<bool> DeleteFreedAsync(CancellationToken ct)
    {
        List<string> prefixes = [];
        List<Segment> truncated;
        long durable = _container.Log.DurableLsn;
        lock (_lock)
        {
            for (int i = _deleted.Count - 1; i >= 0; i--)
            {
                if (_deleted[i].Lsn > durable) continue;
                prefixes.Add(_deleted[i].Prefix);
                _deleted.RemoveAt(i);
            }
            truncated = [.. _truncated];
            _truncated.Clear();
        }
        foreach (string prefix in prefixes)
        {
            var names = new List<string>();
            await foreach (string name in _storage.ListAsync(prefix, ct).ConfigureAwait(false)) names.Add(name);
            foreach (string name in names.OrderBy(n => n == ChunkNames.Manifest(prefix) ? 1 : 0)) // the manifest last
                await _storage.DeleteAsync(name, ct).ConfigureAwait(false);
            TieringLog.SegmentDataDeleted(_logger, prefix, names.Count);
        }
        foreach (var segment in truncated)
        {
            SegmentTierWriter? writer;
            lock (_lock) _writers.TryGetValue(segment, out writer);
            if (writer is null || writer.Failed) continue;
            var freed = writer.Manifest.TruncateTo(segment.StartOffset);
            segment.View = writer.Manifest.TieredLength > writer.Manifest.Start ? writer.Manifest.Snapshot() : null;
            foreach (string chunk in freed) await _storage.DeleteAsync(chunk, ct).ConfigureAwait(false);
        }
        return prefixes.Count > 0 || truncated.Count > 0;
    }

    /// <summary>The segments to tier this round, those holding the oldest WAL bytes first (container lock taken).</summary>
    private List<Segment> Due()
    {
        var due = new List<(Segment Segment, long File)>();
        lock (_container.Lock)
        {
            long pressureBelow = _container.Log.WriteFileSequence - _options.KeepFiles;
            List<Segment>? done = null;
            foreach (var segment in _container.Untiered)
            {
                long untiered = segment.DurableLength - segment.TierFrom;
                if (untiered <= 0 || segment.IsDeleted)
                {
                    (done ??= []).Add(segment);
                    continue;
                }
                long file = segment.OldestUntieredFile;
                if (untiered >= _options.FlushThresholdBytes || segment.IsSealedDurable || file < pressureBelow)
                    due.Add((segment, file));
            }
            if (done is not null) foreach (var s in done) _container.ForgetUntiered(s);
        }
        return [.. due.OrderBy(d => d.File).Select(d => d.Segment)];
    }

    private SegmentTierWriter NewWriter(string prefix, SegmentManifest manifest) =>
        new(_storage, _container.Log.StoreId, prefix, manifest, _options.MaxChunkBytes, _options.NewIds);

    /// <summary>
    /// Tiers the durable, untiered bytes of <paramref name="segment"/> (whole events, up to
    /// <see cref="TieringOptions.MaxPassBytes"/>, at least one event): reads them from the WAL, writes them through the
    /// segment's <see cref="SegmentTierWriter"/>, then records the new tiered length. Returns whether it did.
    /// </summary>
    private async Task<bool> PassAsync(Segment segment, CancellationToken ct)
    {
        SegmentTierWriter? writer;
        lock (_lock) _writers.TryGetValue(segment, out writer);
        if (writer is null)
        {
            lock (_container.Lock)
            {
                if (segment.IsDeleted) return false;
                writer = NewWriter(segment.TierPrefix, SegmentManifest.Empty(segment.TierFrom));
            }
            lock (_lock) _writers[segment] = writer;
        }
        if (writer.Failed) return false;
        var entries = _passEntries; // passes run one at a time: one list, grown once, instead of one per pass
        entries.Clear();
        long from, to;
        lock (_container.Lock)
        {
            if (segment.IsDeleted) return false;
            from = segment.TierFrom;
            long durable = segment.DurableLength;
            to = from;
            while (to < durable && (to - from < _options.MaxPassBytes || entries.Count == 0) && segment.TryFind(to, out var entry))
            {
                entries.Add(entry);
                to = entry.End;
            }
        }
        if (entries.Count == 0) return false;
        if (writer.Manifest.TieredLength < from)
        {
            // A truncation passed the tiered length: tiering resumes at the start, and the chunks before it can go.
            foreach (string chunk in writer.Manifest.TruncateTo(from)) await _storage.DeleteAsync(chunk, ct).ConfigureAwait(false);
        }
        if (writer.Manifest.TieredLength != from)
            throw new InvalidOperationException($"Segment {segment.TierPrefix}: the manifest ends at {writer.Manifest.TieredLength}, the container's tiered length is {from}.");
        int length = checked((int)(to - from));
        var data = ArrayPool<byte>.Shared.Rent(length); // up to a pass: pooled, not a large object per pass
        try
        {
            try
            {
                foreach (var entry in entries)
                {
                    // The first entry may start before the pass: a byte stream truncated inside it.
                    using var lease = _container.Read(entry);
                    int skip = (int)Math.Max(0, from - entry.Offset);
                    lease.Memory.Span[skip..].CopyTo(data.AsSpan((int)(entry.Offset + skip - from)));
                }
            }
            catch (WalFileDroppedException)
            {
                return false; // truncated (or deleted) meanwhile: the next round starts from the new start
            }
            // A byte stream's blocks begin at the blocks' starts: any offset is a boundary there.
            var starts = segment.HoldsBytes ? TierBlocks.StartsWithin(from, to) : entries.Select(e => e.Offset);
            await writer.WriteAsync(data.AsMemory(0, length), TierBlocks.FirstBoundaries(from, to, starts), ct).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the writer is failed now: the segment stays in Tier-1 until the next open
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
        {
            TieringLog.PassFailed(_logger, segment.TierPrefix, e);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
        lock (_container.Lock)
        {
            if (segment.IsDeleted)
            {
                // Deleted during the pass: what it wrote goes with the rest, once the deletion is durable (at or before now).
                long deletion = _container.Log.LastAppendedLsn;
                lock (_lock) _deleted.Add((segment.TierPrefix, deletion));
                return false;
            }
            segment.View = writer.Manifest.Snapshot();
            if (_container.RecordTiered(segment, to) == 0) return false;
        }
        TieringLog.PassWritten(_logger, segment.TierPrefix, from, to);
        return true;
    }

    /// <summary>
    /// The block of tiered bytes holding <paramref name="offset"/> of <paramref name="segment"/>, from the cache or read
    /// from Tier-2 into it; null when the offset is not (or no longer) readable there: the caller looks again.
    /// </summary>
    public async ValueTask<TierBlock?> LoadBlockAsync(Segment segment, long offset, CancellationToken ct)
    {
        await _ready.Task.WaitAsync(ct).ConfigureAwait(false);
        if (Cache.TryGet(segment, offset, out var cached)) return cached;
        var view = segment.View;
        if (view is null || offset < Math.Max(view.Start, segment.StartOffset) || offset >= Math.Min(view.TieredLength, segment.TieredLength)) return null;
        try
        {
            var block = await Cache.LoadAsync(segment, view, offset, ct).ConfigureAwait(false);
            // Read-ahead: the next blocks, so that a reader going on finds them loaded (I/O overlaps its work).
            for (int ahead = 1; ahead <= _options.ReadAheadBlocks; ahead++)
            {
                long next = TierBlocks.StartOf(block.Block + ahead);
                if (next >= view.TieredLength) break;
                Cache.Prefetch(segment, view, next);
            }
            return block;
        }
        catch (ChunkNotFoundException) when (segment.StartOffset > view.Start || segment.IsDeleted)
        {
            return null; // truncated or deleted meanwhile, and the chunk went
        }
    }

    /// <summary>
    /// Reads tiered bytes of a byte stream's <paramref name="segment"/> from <paramref name="offset"/> straight into
    /// <paramref name="destination"/> (as many as fit, up to the tiered length), bypassing the cache; 0 when the offset is
    /// not (or no longer) readable there: the caller looks again.
    /// </summary>
    public async ValueTask<int> ReadDirectAsync(Segment segment, long offset, Memory<byte> destination, CancellationToken ct)
    {
        await _ready.Task.WaitAsync(ct).ConfigureAwait(false);
        var view = segment.View;
        if (view is null) return 0;
        long end = Math.Min(view.TieredLength, segment.TieredLength);
        if (offset < Math.Max(view.Start, segment.StartOffset) || offset >= end) return 0;
        int length = (int)Math.Min(destination.Length, end - offset);
        try
        {
            await Cache.ReadRangeAsync(segment, view, offset, destination[..length], ct).ConfigureAwait(false);
            return length;
        }
        catch (ChunkNotFoundException) when (segment.StartOffset > view.Start || segment.IsDeleted)
        {
            return 0; // truncated or deleted meanwhile, and the chunk went
        }
    }

    /// <summary>
    /// Loads the blocks that tell the greatest event boundary at or before tiered <paramref name="offset"/>: its own, and
    /// the ones before while no event starts in them at or before it.
    /// </summary>
    public async ValueTask LoadBoundaryBlocksAsync(Segment segment, long offset, CancellationToken ct)
    {
        for (long at = offset; at >= segment.StartOffset;)
        {
            var block = await LoadBlockAsync(segment, at, ct).ConfigureAwait(false);
            if (block is null || block.GreatestStartAtOrBefore(offset) is not null || block.Block == 0) return;
            at = TierBlocks.StartOf(block.Block) - 1;
        }
    }

    /// <summary>Whether an event starts at tiered <paramref name="offset"/> (an offset below the start counts as one: it is ignored).</summary>
    public async ValueTask<bool> IsEventBoundaryAsync(Segment segment, long offset, CancellationToken ct)
    {
        while (true)
        {
            if (offset < segment.StartOffset) return true;
            if (await LoadBlockAsync(segment, offset, ct).ConfigureAwait(false) is { } block) return block.IsEventStart(offset);
        }
    }

    /// <summary>Stops the loop, waits for the round under way, and closes Tier-2.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopped mid-round
        }
        _ready.TrySetCanceled();
        await _storage.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>What the tierer is configured with (from <see cref="StreamStoreOptions"/>).</summary>
internal sealed record TieringOptions
{
    /// <summary>A segment with this many untiered bytes is tiered (Pravega's storage writer flushes at 4 MiB too).</summary>
    public long FlushThresholdBytes { get; init; } = 4 << 20;

    /// <summary>At most this many bytes per pass (at least one event).</summary>
    public long MaxPassBytes { get; init; } = 16 << 20;

    /// <summary>A chunk is not continued beyond this length.</summary>
    public long MaxChunkBytes { get; init; } = 64L << 20;

    /// <summary>Files of the log kept without tiering pressure: half of <c>Tier1MaxBytes</c> in files, at least one.</summary>
    public long KeepFiles { get; init; } = 16;

    /// <summary>The Tier-2 read cache's bound.</summary>
    public long CacheSizeBytes { get; init; } = 256L << 20;

    /// <summary>Blocks read ahead (in the background) of a block a reader loads; 0 for a stepped log (no threads).</summary>
    public int ReadAheadBlocks { get; init; } = 2;

    /// <summary>After a round that found nothing to do, the next one waits at least this long.</summary>
    public TimeSpan IdlePace { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often an idle tierer looks again without a signal.</summary>
    public TimeSpan IdleRecheck { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the unique part of new chunk names comes from.</summary>
    public Func<Guid> NewIds { get; init; } = Guid.NewGuid;

    /// <summary>The options for a store with the given Tier-1 bound and WAL file size.</summary>
    public static TieringOptions For(long tier1MaxBytes, int walFileSize, long cacheSizeBytes, long maxChunkBytes, Func<Guid> newIds) => new()
    {
        MaxChunkBytes = maxChunkBytes,
        KeepFiles = Math.Max(1, tier1MaxBytes / walFileSize / 2),
        FlushThresholdBytes = Math.Min(4 << 20, Math.Max(1, walFileSize / 2)),
        CacheSizeBytes = cacheSizeBytes,
        NewIds = newIds,
    };
}
