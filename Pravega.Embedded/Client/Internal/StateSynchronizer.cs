using System.Buffers;
using System.Buffers.Binary;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// A state synchronizer (docs/DESIGN.md, "State synchronizer"): one shared state replicated through the one segment of
/// an internal stream, as Pravega's revisioned stream. Records are events: the initial state, a batch of updates, or a
/// snapshot (compaction). Conditional records (initialize, update, compact) are appended only if the segment still ends
/// where this synchronizer last read it, so every update is generated from the latest state and applied exactly once;
/// a conflict means someone else wrote: fetch, generate again. <see cref="Revision"/> is the segment offset after the last
/// record applied.
/// </summary>
internal sealed class StateSynchronizer<TState, TUpdate> : IStateSynchronizer<TState, TUpdate>
{
    private const byte InitialRecord = 1;
    private const byte UpdatesRecord = 2;
    private const byte SnapshotRecord = 3;
    private const byte PartRecord = 4;
    private const int PartHeaderSize = 1 + 1 + 4 + 4;

    /// <summary>What <see cref="ApplyPart"/> returns for a part of a state still to be completed by the next parts.</summary>
    private const byte Incomplete = 0;

    private readonly StoreRuntime _runtime;
    private readonly StreamState _stream;
    private readonly Segment _segment;
    private readonly ISerializer<TState> _stateSerializer;
    private readonly ISerializer<TUpdate> _updateSerializer;
    private readonly Func<TState, TUpdate, TState> _apply;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RecordSerializer _records;
    private readonly ArrayBufferWriter<byte> _parts = new(); // a state in parts, while they are read
    private long _readOffset; // where the next record starts (the segment's end as last fetched)
    private TierBlock? _block;
    private TState? _state;
    private long _revision = -1;
    private bool _disposed;

    public StateSynchronizer(StoreRuntime runtime, StreamState stream, Segment segment, ISerializer<TState> stateSerializer,
                             ISerializer<TUpdate> updateSerializer, Func<TState, TUpdate, TState> apply)
    {
        _runtime = runtime;
        _stream = stream;
        _segment = segment;
        _stateSerializer = stateSerializer;
        _updateSerializer = updateSerializer;
        _apply = apply;
        _records = new RecordSerializer(this);
    }

    /// <summary>The synchronizer on the internal stream <paramref name="streamName"/> of <paramref name="scope"/>, which exists.</summary>
    public static StateSynchronizer<TState, TUpdate> Open(StoreRuntime runtime, string scope, string streamName, ISerializer<TState> stateSerializer,
                                                         ISerializer<TUpdate> updateSerializer, Func<TState, TUpdate, TState> apply)
    {
        lock (runtime.Container.Lock)
        {
            var stream = runtime.Controller.GetStream(scope, streamName);
            return new StateSynchronizer<TState, TUpdate>(runtime, stream, stream.AllSegments.Single().Data, stateSerializer, updateSerializer, apply);
        }
    }

    /// <summary>The name of the internal stream behind the synchronizer <paramref name="name"/>.</summary>
    public static string StreamName(string name) => "_sync-" + name;

    public TState? State => Volatile.Read(ref _revision) < 0 ? default : _state;

    public long Revision => Volatile.Read(ref _revision);

    private SegmentContainer Container => _runtime.Container;

    public async Task<bool> InitializeAsync(TState initial, CancellationToken ct = default)
    {
        var record = Encode(InitialRecord, initial, null);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                await FetchCoreAsync(ct).ConfigureAwait(false);
                if (_revision >= 0) return false; // initialized already, by us or another
                if (await TryAppendAsync(record, ct).ConfigureAwait(false) is not { } end) continue;
                _state = initial;
                Volatile.Write(ref _revision, end);
                return true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task FetchUpdatesAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await FetchCoreAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UpdateStateAsync(Func<TState, IReadOnlyList<TUpdate>> generator, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                await FetchCoreAsync(ct).ConfigureAwait(false);
                RequireInitialized();
                var updates = generator(_state!);
                if (updates is null || updates.Count == 0) return;
                var record = Encode(UpdatesRecord, default, updates);
                if (await TryAppendAsync(record, ct).ConfigureAwait(false) is not { } end) continue; // someone wrote first: again
                var state = _state!;
                foreach (var update in updates) state = _apply(state, update); // once each: the next fetch starts after them
                _state = state;
                Volatile.Write(ref _revision, end);
                return;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UpdateStateUnconditionallyAsync(TUpdate update, CancellationToken ct = default)
    {
        var record = Encode(UpdatesRecord, default, [update]);
        ThrowIfDisposed();
        long lsn;
        lock (Container.Lock)
        {
            _runtime.ThrowIfDisposed();
            RequireWritable();
            lsn = Container.AppendEvent(_segment, writerId: null, SegmentContainer.NoEventNumber, record, out _); // RequireWritable: not sealed
        }
        await Container.Log.WhenDurableAsync(lsn, ct).ConfigureAwait(false); // State sees it at the next fetch, as in Pravega
    }

    public async Task CompactAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                await FetchCoreAsync(ct).ConfigureAwait(false);
                RequireInitialized();
                long at = _readOffset;
                var record = Encode(SnapshotRecord, _state, null);
                if (await TryAppendAsync(record, ct).ConfigureAwait(false) is not { } end) continue;
                _readOffset = end;
                Volatile.Write(ref _revision, end);
                // The snapshot holds everything before it: late joiners start there.
                var cut = new StreamCut(_stream.Scope, _stream.Name, new Dictionary<long, long> { [_segment.SegmentId] = at });
                await _runtime.Controller.TruncateStreamAsync(_stream.Scope, _stream.Name, cut, ct).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Reads and applies every record from where this synchronizer is to the segment's end once everything appended so far
    /// is durable (gate held): a fetch sees every record accepted before it began. Truncated past (another compacted):
    /// it goes on from the head, a snapshot.
    /// </summary>
    private async Task FetchCoreAsync(CancellationToken ct)
    {
        ThrowIfDisposed();
        _runtime.ThrowIfDisposed();
        await Container.Log.WhenDurableAsync(Container.Log.LastAppendedLsn, ct).ConfigureAwait(false);
        long end = _segment.DurableLength;
        while (_readOffset < end)
        {
            ct.ThrowIfCancellationRequested();
            (var read, _block) = await _runtime.Reader.ReadEventAsync(_segment, _readOffset, _records, _block, ct).ConfigureAwait(false);
            switch (read.Status)
            {
                case SegmentReadStatus.Event:
                    _readOffset = read.NextOffset;
                    if (read.Event != Incomplete && (_revision >= 0 || read.Event is InitialRecord or SnapshotRecord)) Volatile.Write(ref _revision, _readOffset);
                    break;
                case SegmentReadStatus.Truncated:
                    _readOffset = read.StartOffset; // compacted: the head is a snapshot of all before it
                    break;
                default:
                    throw new StorageCorruptedException($"The state synchronizer's stream {_stream} has no record at offset {_readOffset}.");
            }
        }
    }

    /// <summary>
    /// Applies one record read from the segment (inside the read: its memory is valid only then). Returns its kind, or
    /// <see cref="Incomplete"/> for a part of a state whose last part is still to come.
    /// </summary>
    private byte Apply(ReadOnlySequence<byte> bytes)
    {
        var reader = new SequenceReader<byte>(bytes);
        if (!reader.TryRead(out byte kind)) throw Corrupt("an empty record");
        if (kind == PartRecord) return ApplyPart(ref reader);
        return Apply(kind, bytes.Slice(1), ref reader);
    }

    /// <summary>
    /// A part of an initial state or snapshot too large for one record: parts are committed together (one transaction), in
    /// order; the state is applied with the last.
    /// </summary>
    private byte ApplyPart(ref SequenceReader<byte> reader)
    {
        if (!reader.TryRead(out byte whole) || !reader.TryReadLittleEndian(out int index) || !reader.TryReadLittleEndian(out int count)
            || whole is not (InitialRecord or SnapshotRecord) || index < 0 || index >= count)
            throw Corrupt("a bad part header");
        if (index == 0) _parts.ResetWrittenCount();
        else if (_parts.WrittenCount == 0) throw Corrupt($"part {index} of {count} without the ones before");
        foreach (var memory in reader.UnreadSequence) _parts.Write(memory.Span);
        if (index < count - 1) return Incomplete;
        var state = new ReadOnlySequence<byte>(_parts.WrittenMemory);
        var stateReader = new SequenceReader<byte>(state);
        byte applied = Apply(whole, state, ref stateReader);
        _parts.ResetWrittenCount();
        return applied;
    }

    /// <summary>Applies a whole record of <paramref name="kind"/>: <paramref name="rest"/> is what follows its kind byte.</summary>
    private byte Apply(byte kind, ReadOnlySequence<byte> rest, ref SequenceReader<byte> reader)
    {
        switch (kind)
        {
            case InitialRecord:
                if (_revision < 0) _state = _stateSerializer.Deserialize(rest); // a second initial state lost its race: ignored
                break;
            case SnapshotRecord:
                _state = _stateSerializer.Deserialize(rest);
                break;
            case UpdatesRecord:
            {
                if (_revision < 0) break; // written before any initial state: nothing to apply them to
                if (!reader.TryReadLittleEndian(out int count) || count < 0) throw Corrupt("a bad update count");
                var state = _state!;
                for (int i = 0; i < count; i++)
                {
                    if (!reader.TryReadLittleEndian(out int length) || length < 0 || reader.Remaining < length) throw Corrupt("a cut update");
                    state = _apply(state, _updateSerializer.Deserialize(reader.UnreadSequence.Slice(0, length)));
                    reader.Advance(length);
                }
                _state = state;
                break;
            }
            default:
                throw Corrupt($"a record of unknown kind {kind}");
        }
        return kind;
    }

    /// <summary>
    /// Appends <paramref name="record"/> if the segment still ends where this synchronizer last read it (gate held), and
    /// waits until it is durable. Returns the offset after it, or null on a conflict (someone else wrote first).
    /// </summary>
    private async Task<long?> TryAppendAsync(byte[] record, CancellationToken ct)
    {
        if (record.Length > MaxRecordSize) return await TryAppendInPartsAsync(record, ct).ConfigureAwait(false);
        long lsn;
        lock (Container.Lock)
        {
            _runtime.ThrowIfDisposed();
            RequireWritable();
            lsn = Container.AppendEventIfLength(_segment, _readOffset, record);
        }
        if (lsn == 0) return null;
        await Container.Log.WhenDurableAsync(lsn, CancellationToken.None).ConfigureAwait(false); // written: ours to see through
        _readOffset += SegmentContainer.EventHeaderSize + record.Length;
        return _readOffset;
    }

    /// <summary>The largest record appended whole: the event limit, or less where the WAL's records are smaller.</summary>
    private int MaxRecordSize => Math.Min(EventStreamWriter<TUpdate>.MaxEventSize, Container.MaxEventSizeEitherWay);

    /// <summary>
    /// Appends a state too large for one record as parts (<c>[u8 4][u8 kind][i32 index][i32 count][bytes]</c>), the events
    /// of one transaction on the backing stream whose commit is conditional on the segment's length (gate held): all parts
    /// become visible together, contiguous, or none. Returns the offset after them, or null on a conflict.
    /// </summary>
    private async Task<long?> TryAppendInPartsAsync(byte[] record, CancellationToken ct)
    {
        int partSize = MaxRecordSize - PartHeaderSize;
        int count = (record.Length - 1 + partSize - 1) / partSize;
        TransactionState transaction;
        lock (Container.Lock)
        {
            _runtime.ThrowIfDisposed();
            RequireWritable();
            transaction = Container.BeginTransaction(_stream.Id, _runtime.NewIds(), writerId: null, TimeSpan.FromSeconds(30), stageable: false);
        }
        _runtime.Leases.Track(transaction); // a crash leaves it open: aborted by its timeout after the reopen
        long placed = 0, lsn = 0;
        var part = new byte[PartHeaderSize + partSize];
        try
        {
            for (int index = 0; index < count; index++)
            {
                int from = 1 + (index * partSize), length = Math.Min(partSize, record.Length - from);
                part[0] = PartRecord;
                part[1] = record[0];
                BinaryPrimitives.WriteInt32LittleEndian(part.AsSpan(2), index);
                BinaryPrimitives.WriteInt32LittleEndian(part.AsSpan(6), count);
                record.AsSpan(from, length).CopyTo(part.AsSpan(PartHeaderSize));
                await Container.Log.WaitForCapacityAsync(ct).ConfigureAwait(false);
                lock (Container.Lock)
                {
                    _runtime.ThrowIfDisposed();
                    Container.AppendToTransaction(transaction, 0.5, part.AsSpan(0, PartHeaderSize + length));
                }
                _runtime.Leases.Renew(transaction);
                placed += SegmentContainer.EventHeaderSize + PartHeaderSize + length;
            }
            lock (Container.Lock)
            {
                _runtime.ThrowIfDisposed();
                RequireWritable();
                lsn = Container.CommitTransactionIfLength(transaction, new TransactionTarget(_segment, KeyRange.Full), _readOffset);
            }
        }
        finally
        {
            if (lsn == 0)
            {
                lock (Container.Lock)
                {
                    if (transaction.Phase == TransactionPhase.Open && !_runtime.IsDisposed) Container.AbortTransaction(transaction, AbortReason.Requested);
                }
            }
            _runtime.Leases.Release(transaction);
        }
        if (lsn == 0) return null;
        await Container.Log.WhenDurableAsync(lsn, CancellationToken.None).ConfigureAwait(false);
        _readOffset += placed;
        return _readOffset;
    }

    /// <summary>A record: its kind byte, then the state, or the updates as <c>[i32 count]</c> and <c>[i32 length][update]</c> each.</summary>
    private byte[] Encode(byte kind, TState? state, IReadOnlyList<TUpdate>? updates)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.GetSpan(1)[0] = kind;
        buffer.Advance(1);
        if (updates is null)
        {
            _stateSerializer.Serialize(state!, buffer);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), updates.Count);
            buffer.Advance(4);
            var one = new ArrayBufferWriter<byte>();
            foreach (var update in updates)
            {
                one.ResetWrittenCount();
                _updateSerializer.Serialize(update, one);
                BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), one.WrittenCount);
                buffer.Advance(4);
                buffer.Write(one.WrittenSpan);
            }
        }
        // A state of any size goes in parts (TryAppendInPartsAsync); updates are one record, up to the event limit.
        if (updates is not null && buffer.WrittenCount > MaxRecordSize)
            throw new ArgumentException($"The serialized updates take {buffer.WrittenCount} bytes; a state synchronizer's update record holds at most {MaxRecordSize}.");
        return buffer.WrittenSpan.ToArray();
    }

    private void RequireInitialized()
    {
        if (_revision < 0) throw new InvalidOperationException($"The state synchronizer on {_stream} is not initialized: call InitializeAsync first.");
    }

    /// <summary>The backing stream still takes records (container lock): it is sealed and deleted only with its scope.</summary>
    private void RequireWritable()
    {
        if (_stream.IsDeleted || _segment.IsSealed) throw new InvalidOperationException($"The state synchronizer's stream {_stream} was deleted with its scope.");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private StorageCorruptedException Corrupt(string what) => new($"The state synchronizer's stream {_stream} holds {what} at offset {_readOffset}.");

    /// <summary>Decodes and applies a record inside the segment read, returning its kind.</summary>
    private sealed class RecordSerializer(StateSynchronizer<TState, TUpdate> owner) : ISerializer<byte>
    {
        public void Serialize(byte value, IBufferWriter<byte> output) => throw new NotSupportedException();

        public byte Deserialize(ReadOnlySequence<byte> bytes) => owner.Apply(bytes);
    }
}
