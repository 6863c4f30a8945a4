using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Pravega.Embedded.Tier1;

/// <summary>Writes a record's payload into the space the log reserved for it.</summary>
internal delegate void PayloadWriter<TState>(Span<byte> destination, TState state) where TState : allows ref struct;

/// <summary>
/// The Tier-1 write-ahead log: pre-allocated files mirrored to every directory, CRC32C-framed records, one
/// group-commit flusher. Records get consecutive LSNs in append order. If an append is durable, every append
/// before it is durable too (one ordered log), and durable means written and fdatasync'ed in every mirror.
/// </summary>
/// <remarks>
/// <see cref="Append{TState}"/> is called by one owner at a time (the segment container, under its lock); the
/// flusher thread takes closed batches, writes each to all mirrors in parallel and then reports the new durable
/// LSN through the <c>onDurable</c> callback before completing waiters, so state applied there (read visibility)
/// is in place when a writer sees its acknowledgement. A stepped log (<see cref="WalOptions.Stepped"/>, tests) has no
/// threads: its owner commits with <see cref="CommitNext"/>.
/// </remarks>
internal sealed class WriteAheadLog : IAsyncDisposable
{
    private readonly WalOptions _options;
    private readonly ILogger _logger;
    private readonly IDisposable[] _locks;
    private readonly IStorageDevice _device;
    private readonly WalReadCache _readCache;
    private readonly Guid _storeId;
    private readonly uint _generation;
    private readonly Action<long> _onDurable;
    private readonly object _sync = new();
    private readonly Queue<LogBatch> _closed = new();
    private readonly Stack<LogBatch> _spareBatches = new();
    private readonly PriorityQueue<DurabilityWaiter, long> _waiters = new(); // by LSN: a commit takes only those it completes
    private readonly List<DurabilityWaiter> _completing = [];
    private readonly ConcurrentQueue<DurabilityWaiter> _waiterPool = new();
    private readonly MirrorWriter[] _mirrorWriters;
    private readonly Thread? _flusher;
    private readonly TaskCompletionSource _flusherExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<DurabilityWaiter> _returnWaiter;
    private LogBatch? _open;
    private LogBatch? _flushing;
    private long _nextLsn;
    private long _writeSequence;
    private long _writeFileStarted = Stopwatch.GetTimestamp();
    private int _writePosition;
    private int _writeFileSize;
    private WalFile? _active;
    private long _durableLsn;
    private long _pendingBytes;
    private TaskCompletionSource? _capacityWaiter;
    private WalFilePreparer? _preparer;
    private readonly Queue<long> _spares = new(); // dropped files kept to be recycled (their old sequences)
    private Task? _preparing;
    private Exception? _failure;
    private bool _flusherWaiting;
    private bool _stopping;
    private int _disposed;

    private WriteAheadLog(WalOptions options, IDisposable[] locks, RecoveryReport recovered, Action<long> onDurable)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("Pravega.Embedded.Tier1");
        _locks = locks;
        _onDurable = onDurable;
        _returnWaiter = w => _waiterPool.Enqueue(w);
        CompletionOptions = options.Stepped ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;
        Recovery = recovered;
        _device = options.Device;
        _storeId = recovered.StoreId;
        _generation = recovered.Generation;
        _readCache = new WalReadCache(_device, options.Directories[0], options.MappedFileLimit);
        foreach (var (sequence, size) in recovered.FileSizes) _readCache.Add(sequence, size);
        _nextLsn = recovered.NextLsn;
        _durableLsn = recovered.NextLsn - 1;
        if (recovered.LastSequence == 0)
        {
            _writeSequence = 1;
            CreateFileNow(1);
        }
        else
        {
            _writeSequence = recovered.LastSequence;
            _writePosition = recovered.EndPosition;
            _writeFileSize = recovered.FileSizes[_writeSequence];
        }
        WriteGenerationMarker();
        if (options.Stepped)
        {
            _mirrorWriters = [];
            return;
        }
        _mirrorWriters = new MirrorWriter[options.Directories.Count - 1];
        for (int m = 0; m < _mirrorWriters.Length; m++) _mirrorWriters[m] = new MirrorWriter(m + 1);
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "pravega-wal-flusher" };
        _flusher.Start();
    }

    /// <summary>
    /// How completion sources that wait for this log are created: continuations run asynchronously (never on the
    /// flusher thread), except in a stepped log, where they run inline so that everything a commit releases has run
    /// when <see cref="CommitNext"/> returns.
    /// </summary>
    public TaskCreationOptions CompletionOptions { get; }

    /// <summary>The header of a log file this open creates: the options' size, this open's generation.</summary>
    private FileHeader NewFileHeader(long sequence) => new(_storeId, sequence, _options.FileSize, _generation);

    /// <summary>Creates a log file synchronously (no zero-filling unless the options ask for it) and makes it the write target.</summary>
    private void CreateFileNow(long sequence)
    {
        new WalFilePreparer(_device, _options.Directories, NewFileHeader(sequence), _options.PreZeroFiles, parallel: !_options.Stepped).Prepare();
        _readCache.Add(sequence, _options.FileSize);
        _writePosition = WalFormat.FileHeaderSize;
        _writeFileSize = _options.FileSize;
    }

    /// <summary>
    /// Starts this open's generation with a frame of its own, durable in every mirror before the log accepts
    /// anything (docs/FORMAT.md): from here on, frames of older generations at the same or later LSNs (a stale
    /// mirror that returns, a torn tail that recovery left in place) lose against this history.
    /// </summary>
    private void WriteGenerationMarker()
    {
        const int frameLength = WalFormat.FrameHeaderSize + 1;
        if (_writePosition + frameLength > _writeFileSize)
        {
            _writeSequence++;
            CreateFileNow(_writeSequence);
        }
        _active = WalFile.Open(_device, _options.Directories, _writeSequence, _writeFileSize);
        _readCache.SetActive(_writeSequence);
        var frame = new byte[frameLength];
        WalFormat.SealFrame(frame, _storeId, _nextLsn, _nextLsn, _generation, FrameKind.Generation);
        for (int m = 0; m < _options.Directories.Count; m++) _active.WriteDurably(m, frame, _writePosition);
        _durableLsn = _nextLsn++;
        _writePosition += frameLength;
    }

    /// <summary>
    /// Called on the committing thread when a batch first goes to a new file (before it is written); the container
    /// starts a checkpoint there. Must not block or take the container lock on the flusher thread.
    /// </summary>
    public Action<long>? FileActivated { get; set; }

    /// <summary>The store's id, carried by every file header and covered by every frame's CRC.</summary>
    public Guid StoreId => _storeId;

    /// <summary>The generation this open writes its frames with.</summary>
    public uint Generation => _generation;

    /// <summary>How many log files are mapped for reads now (tests).</summary>
    internal int MappedFileCount => _readCache.MappedCount;

    /// <summary>What recovery found when the log was opened.</summary>
    public RecoveryReport Recovery { get; }

    /// <summary>Highest LSN durable in every mirror.</summary>
    public long DurableLsn => Volatile.Read(ref _durableLsn);

    /// <summary>The largest payload one record may have.</summary>
    public int MaxPayloadSize => _options.MaxPayloadSize;

    /// <summary>The bound the log's files stay within where it can choose (<see cref="WalOptions.MaxBytes"/>).</summary>
    public long MaxBytes => _options.MaxBytes;

    /// <summary>
    /// Locks the directories, recovers and repairs the mirrors, replays every record to <paramref name="replay"/>,
    /// and opens the log for appends. <paramref name="onDurable"/> is called on the flusher thread, in order, with
    /// each new durable LSN.
    /// </summary>
    /// <param name="options">The log's settings.</param>
    /// <param name="replay">Gets every record, in order.</param>
    /// <param name="onDurable">Gets each new durable LSN, in order, on the committing thread.</param>
    /// <param name="locked">Called once the directories are locked, before recovery reads them (the owner reads what it
    /// keeps next to the log, such as checkpoints).</param>
    /// <param name="replayed">Called after the last record was replayed and before the log writes anything (its
    /// generation marker): an exception from it leaves the log unopened.</param>
    public static WriteAheadLog Open(WalOptions options, ReplayHandler replay, Action<long> onDurable, Action? locked = null, Action<RecoveryReport>? replayed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Directories.Count == 0) throw new ArgumentException("At least one WAL directory is needed.", nameof(options));
        var locks = new List<IDisposable>();
        try
        {
            foreach (string dir in options.Directories) locks.Add(options.Device.LockDirectory(dir));
            locked?.Invoke();
            var logger = options.LoggerFactory.CreateLogger("Pravega.Embedded.Tier1");
            var report = WalRecovery.Recover(options.Device, options.Directories, replay, logger, options.NewIds);
            replayed?.Invoke(report);
            return new WriteAheadLog(options, [.. locks], report, onDurable);
        }
        catch
        {
            foreach (var l in locks) l.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends one record whose payload <paramref name="write"/> fills in, and returns its LSN. Not thread-safe
    /// against other appends (the owner serializes them); the record is durable once <see cref="WhenDurable"/>
    /// for its LSN completes.
    /// </summary>
    public long Append<TState>(int payloadLength, TState state, PayloadWriter<TState> write, out LogAddress address)
        where TState : allows ref struct
    {
        if (payloadLength <= 0 || payloadLength > _options.MaxPayloadSize)
            throw new ArgumentOutOfRangeException(nameof(payloadLength), payloadLength, $"A WAL record holds 1..{_options.MaxPayloadSize} bytes.");
        int frameLength = WalFormat.FrameHeaderSize + payloadLength;
        lock (_sync)
        {
            ThrowIfUnusable();
            if (_writePosition + frameLength > _writeFileSize)
            {
                CloseOpenBatch();
                _writeSequence++;
                _writePosition = WalFormat.FileHeaderSize;
                _writeFileSize = _options.FileSize;
                _writeFileStarted = Stopwatch.GetTimestamp();
            }
            _open ??= RentBatch();
            LastAppendCommit = _open.FirstLsn;
            var frame = _open.Reserve(frameLength);
            write(frame[WalFormat.FrameHeaderSize..], state);
            long lsn = _nextLsn++;
            WalFormat.SealFrame(frame, _storeId, lsn, _open.FirstLsn, _generation, FrameKind.Record);
            address = new LogAddress(_writeSequence, _writePosition + WalFormat.FrameHeaderSize);
            _open.Length += frameLength;
            _open.LastLsn = lsn;
            _writePosition += frameLength;
            _pendingBytes += frameLength;
            if (_open.Length >= _options.MaxBatchBytes) CloseOpenBatch();
            if (_preparer is null && _writePosition > _writeFileSize / 2) StartPreparing(_writeSequence + 1);
            if (_flusherWaiting) Monitor.Pulse(_sync);
            return lsn;
        }
    }

    /// <summary>
    /// The group commit the last <see cref="Append{TState}"/> went into, named by the LSN it starts with (as
    /// <see cref="WhenDurableShared"/>'s <c>batch</c>): records of one commit become durable together. Read by the
    /// appender only (it serializes appends).
    /// </summary>
    public long LastAppendCommit { get; private set; }

    /// <summary>Completes when every record up to <paramref name="lsn"/> is durable in all mirrors; faults if the log failed.</summary>
    public ValueTask WhenDurable(long lsn)
    {
        if (lsn <= Volatile.Read(ref _durableLsn)) return default;
        lock (_sync)
        {
            if (_failure is not null) return ValueTask.FromException(_failure);
            if (lsn <= _durableLsn) return default;
            if (lsn >= _nextLsn) throw new ArgumentOutOfRangeException(nameof(lsn), lsn, "No record has this LSN yet.");
            if (!_waiterPool.TryDequeue(out var waiter)) waiter = new DurabilityWaiter(_returnWaiter, !_options.Stepped);
            _waiters.Enqueue(waiter, lsn);
            return waiter.Task;
        }
    }

    /// <summary>
    /// A <see cref="Task"/> that completes when <paramref name="lsn"/> is durable, shared by every caller whose record
    /// is in the same group commit (identified by <paramref name="batch"/>): one allocation per commit, not per append.
    /// </summary>
    public Task WhenDurableShared(long lsn, out long batch)
    {
        batch = 0;
        if (lsn <= Volatile.Read(ref _durableLsn)) return Task.CompletedTask;
        lock (_sync)
        {
            if (_failure is not null) return Task.FromException(new IOException("The WAL write failed.", _failure));
            if (lsn <= _durableLsn) return Task.CompletedTask;
            var owner = FindBatch(lsn) ?? throw new ArgumentOutOfRangeException(nameof(lsn), lsn, "No pending record has this LSN.");
            batch = owner.FirstLsn;
            owner.SharedCompletion ??= new TaskCompletionSource(CompletionOptions);
            return owner.SharedCompletion.Task;
        }
    }

    private LogBatch? FindBatch(long lsn)
    {
        if (_open is { } open && lsn >= open.FirstLsn) return open;
        foreach (var closed in _closed)
            if (lsn >= closed.FirstLsn && lsn <= closed.LastLsn) return closed;
        return _flushing is { } flushing && lsn >= flushing.FirstLsn && lsn <= flushing.LastLsn ? flushing : null;
    }

    /// <summary>
    /// <see cref="WhenDurable"/> as a <see cref="Task"/> the caller may keep or cancel (cancelling stops the wait only:
    /// the record becomes durable all the same). Completed at once when the record already is.
    /// </summary>
    public Task WhenDurableAsync(long lsn, CancellationToken ct)
    {
        var durable = WhenDurable(lsn);
        if (durable.IsCompletedSuccessfully) return Task.CompletedTask;
        return ct.CanBeCanceled ? durable.AsTask().WaitAsync(ct) : durable.AsTask();
    }

    /// <summary>The sequence number of the file the next append goes to (or the last one went to).</summary>
    public long WriteFileSequence
    {
        get
        {
            lock (_sync) return _writeSequence;
        }
    }

    /// <summary>The sequence numbers of the log's files, oldest first (the files its read cache knows).</summary>
    public IReadOnlyList<long> FileSequences => _readCache.Sequences;

    /// <summary>
    /// Removes every log file before <paramref name="sequence"/> from every mirror, oldest first, each deletion made
    /// durable (directory synced) before the next file goes, so the log on disk is always a contiguous run of files.
    /// The caller proves that nothing in them is needed any more (a durable checkpoint covers their records and no
    /// live segment byte lies in them). Never the file being written. Returns how many files went.
    /// </summary>
    public int DropFilesBefore(long sequence)
    {
        lock (_sync)
        {
            ThrowIfUnusable();
            if (sequence > _writeSequence) throw new ArgumentOutOfRangeException(nameof(sequence), sequence, "The file being written cannot be dropped.");
        }
        int dropped = 0;
        foreach (long old in FileSequences)
        {
            if (old >= sequence || (_active is { } active && active.Sequence == old)) break;
            int size = _readCache.SizeOf(old);
            bool unmapped = _readCache.Remove(old);
            string name = WalFormat.FileName(old);
            bool keep;
            lock (_sync)
            {
                // The files left, the spares, this one and a file being prepared: within the bound.
                long files = FileSequences.Count + _spares.Count + 1 + (_preparer is null ? 0 : 1);
                keep = unmapped && _spares.Count < _options.MaxSpareFiles && size == _options.FileSize && files * _options.FileSize <= _options.MaxBytes;
            }
            foreach (string dir in _options.Directories)
            {
                // A spare: out of the log (recovery deletes temporary names), its blocks kept for a new file to overwrite.
                if (keep) _device.RenameFile(Path.Combine(dir, name), Path.Combine(dir, WalFormat.SpareName(old)));
                else _device.DeleteFile(Path.Combine(dir, name));
            }
            foreach (string dir in _options.Directories) _device.SyncDirectory(dir);
            if (keep)
                lock (_sync) _spares.Enqueue(old);
            Tier1Log.FileDropped(_logger, old, keep);
            dropped++;
        }
        return dropped;
    }

    /// <summary>The LSN of the last record appended (durable or not); 0 before the first.</summary>
    public long LastAppendedLsn
    {
        get
        {
            lock (_sync) return _nextLsn - 1;
        }
    }

    /// <summary>Completes when everything appended so far is durable.</summary>
    public ValueTask FlushAsync() => WhenDurable(LastAppendedLsn);

    /// <summary>Whether few enough bytes wait for the disk that an append need not wait (<see cref="WaitForCapacityAsync"/>).</summary>
    public bool HasRoom => Volatile.Read(ref _pendingBytes) <= _options.MaxPendingBytes;

    /// <summary>Completes at once unless too many bytes wait for the disk; then when the flusher has caught up.</summary>
    public ValueTask WaitForCapacityAsync(CancellationToken ct)
    {
        if (HasRoom) return default;
        lock (_sync)
        {
            if (_pendingBytes <= _options.MaxPendingBytes || _failure is not null) return default;
            _capacityWaiter ??= new TaskCompletionSource(CompletionOptions);
            return new ValueTask(_capacityWaiter.Task.WaitAsync(ct));
        }
    }

    /// <summary>
    /// The payload bytes of a durable record, straight from the mapped log file; valid until the lease is disposed
    /// (dispose it exactly once).
    /// </summary>
    public WalReadLease Read(LogAddress address, int length) => _readCache.Read(address, length);

    private LogBatch RentBatch()
    {
        var batch = _spareBatches.Count > 0 ? _spareBatches.Pop() : new LogBatch();
        batch.Reset(_writeSequence, _writePosition, _nextLsn, 64 << 10);
        return batch;
    }

    private void CloseOpenBatch()
    {
        if (_open is null) return;
        _closed.Enqueue(_open);
        _open = null;
    }

    /// <summary>
    /// Prepares the next file in the background. It is zero-filled only when the log is filling slowly (latency
    /// matters, and there is time): under sustained load the zeros would double the disk writes and their flushes
    /// would stall the log's own, so the file is left sparse (docs/DESIGN.md, docs/BENCHMARKS.md). A stepped log takes
    /// no clock: it zero-fills every other file, and prepares it in the next <see cref="CommitNext"/>.
    /// </summary>
    private void StartPreparing(long sequence)
    {
        bool slow = _options.Stepped ? sequence % 2 == 0
            : Stopwatch.GetElapsedTime(_writeFileStarted) > _options.ZeroFillWhenHalfFileTakesLongerThan;
        _preparer = NewPreparer(sequence, _options.PreZeroFiles && slow);
        _preparing = _options.Stepped ? null : _preparer.StartInBackground();
    }

    /// <summary>
    /// A preparer of file <paramref name="sequence"/> (caller holds the lock): from a spare when there is one (its blocks
    /// are written already, so no zeros), else a new file.
    /// </summary>
    private WalFilePreparer NewPreparer(long sequence, bool zeroFill)
    {
        long? spare = _spares.Count > 0 ? _spares.Dequeue() : null;
        if (spare is { } old) Tier1Log.FileRecycled(_logger, sequence, old);
        return new WalFilePreparer(_device, _options.Directories, NewFileHeader(sequence), zeroFill && spare is null, parallel: !_options.Stepped, spare);
    }

    /// <summary>Files recycled from spares by this open (tests, benchmarks).</summary>
    public int RecycledFiles => Volatile.Read(ref _recycled);

    private int _recycled;

    /// <summary>A stepped log's preparation, run where a threaded log's would have run by now: before the next commit.</summary>
    private void RunDeferredPreparation()
    {
        WalFilePreparer? preparer;
        lock (_sync)
        {
            if (_preparer is null || _preparing is not null) return;
            preparer = _preparer;
        }
        Task done;
        try
        {
            preparer.Prepare();
            done = Task.CompletedTask;
        }
#pragma warning disable CA1031 // kept for the commit that needs the file, as a background preparation's failure is
        catch (Exception e)
#pragma warning restore CA1031
        {
            done = Task.FromException(e);
        }
        lock (_sync) _preparing = done;
    }

    private void ThrowIfUnusable()
    {
        if (_failure is not null) throw new IOException("The WAL failed earlier and accepts no more appends.", _failure);
        ObjectDisposedException.ThrowIf(_stopping, this);
    }

    private void FlushLoop()
    {
        while (TakeBatch(wait: true) is { } batch) Commit(batch);
        _flusherExited.TrySetResult();
    }

    /// <summary>
    /// A stepped log's group commit (<see cref="WalOptions.Stepped"/>): writes the next batch (the oldest closed one,
    /// else everything appended since the last commit) to every mirror and completes what waited for it, on the calling
    /// thread, continuations included. False when nothing waits to be written. Not to be called concurrently.
    /// </summary>
    public bool CommitNext()
    {
        if (!_options.Stepped) throw new InvalidOperationException("Only a stepped log is committed by its owner; this one has a flusher thread.");
        if (TakeBatch(wait: false) is not { } batch) return false;
        RunDeferredPreparation();
        Commit(batch);
        return true;
    }

    /// <summary>
    /// The next batch to write: the oldest closed one, else the open one (closed now). Null when there is none; with
    /// <paramref name="wait"/>, waits for one and answers null only once the log is stopping.
    /// </summary>
    private LogBatch? TakeBatch(bool wait)
    {
        lock (_sync)
        {
            while (wait && _closed.Count == 0 && _open is null && !_stopping)
            {
                _flusherWaiting = true;
                Monitor.Wait(_sync);
                _flusherWaiting = false;
            }
            if (_closed.Count == 0 && _open is null) return null;
            if (_closed.Count == 0) CloseOpenBatch();
            var batch = _closed.Dequeue();
            _flushing = batch;
            return batch;
        }
    }

    /// <summary>Writes one batch to every mirror (unless the log already failed) and completes its waiters.</summary>
    private void Commit(LogBatch batch)
    {
        if (_failure is null)
        {
            try
            {
                var file = ActivateFile(batch.FileSequence);
                long started = Stopwatch.GetTimestamp();
                WriteToAllMirrors(file, batch);
                Telemetry.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Telemetry.WalBytes.Add(batch.Length);
                Telemetry.WalRecords.Add(batch.LastLsn - batch.FirstLsn + 1);
            }
#pragma warning disable CA1031 // a failed write fails the log: every waiter gets the error
            catch (Exception e)
#pragma warning restore CA1031
            {
                Tier1Log.WriteFailed(_logger, e);
                lock (_sync) _failure = e;
            }
        }
        Completed(batch);
    }

    /// <summary>
    /// A batch is written (or failed). Order matters: the container first makes it visible (readable bytes, durable
    /// event numbers, truncations), and only then does the durable LSN move and are waiters released, so that nobody
    /// who sees the acknowledgement (or the durable LSN) can miss its effects.
    /// </summary>
    private void Completed(LogBatch batch)
    {
        Exception? failure = _failure; // set only by the committing thread
        long last = batch.LastLsn;
        if (failure is null) _onDurable(last);
        TaskCompletionSource? shared;
        lock (_sync)
        {
            _flushing = null;
            (shared, batch.SharedCompletion) = (batch.SharedCompletion, null);
            if (failure is null) Volatile.Write(ref _durableLsn, last);
            _pendingBytes -= batch.Length;
            while (_waiters.TryPeek(out var waiter, out long lsn) && (failure is not null || lsn <= last))
            {
                _waiters.Dequeue();
                _completing.Add(waiter);
            }
            batch.Trim(1 << 20);
            _spareBatches.Push(batch); // reused by the next append: not touched after this
        }
        if (failure is null) shared?.TrySetResult();
        else shared?.TrySetException(new IOException("The WAL write failed.", failure));
        foreach (var w in _completing) w.Complete(failure is null ? null : new IOException("The WAL write failed.", failure));
        _completing.Clear();
        TaskCompletionSource? capacity = null;
        lock (_sync)
        {
            if (_capacityWaiter is not null && (_pendingBytes <= _options.MaxPendingBytes || failure is not null))
                (capacity, _capacityWaiter) = (_capacityWaiter, null);
        }
        capacity?.TrySetResult();
    }

    private WalFile ActivateFile(long sequence)
    {
        if (_active is { } current && current.Sequence == sequence) return current;
        bool ready = false;
        WalFilePreparer? preparer;
        Task? preparing;
        lock (_sync) (preparer, preparing) = (_preparer, _preparing);
        if (preparer?.Sequence == sequence)
        {
            ready = preparing!.IsCompleted;
            preparer.Hurry();
            // The flusher is a dedicated thread: blocking it here (and only here) is what it is for.
            preparing.GetAwaiter().GetResult();
        }
        else
        {
            lock (_sync) preparer = NewPreparer(sequence, zeroFill: false);
            preparer.Prepare();
        }
        if (preparer.Spare is not null) Interlocked.Increment(ref _recycled);
        var file = WalFile.Open(_device, _options.Directories, sequence, _options.FileSize);
        _readCache.Add(sequence, _options.FileSize);
        _readCache.SetActive(sequence);
        var previous = _active;
        _active = file;
        previous?.Dispose(); // its last batch is written: batches reach the flusher in file order
        lock (_sync)
        {
            if (_preparer?.Sequence <= sequence) (_preparer, _preparing) = (null, null);
        }
        Tier1Log.FileActivated(_logger, sequence, ready);
        FileActivated?.Invoke(sequence);
        return file;
    }

    /// <summary>Mirror 0 on this thread, the others on their writers in parallel (a stepped log: each in turn, here).</summary>
    private void WriteToAllMirrors(WalFile file, LogBatch batch)
    {
        foreach (var w in _mirrorWriters) w.Begin(file, batch);
        Exception? first = null;
        int here = _options.Stepped ? _options.Directories.Count : 1;
        for (int m = 0; m < here; m++)
        {
            try
            {
                file.WriteDurably(m, batch.Bytes, batch.FilePosition);
            }
#pragma warning disable CA1031 // wait for (or write) the other mirrors before reporting
            catch (Exception e)
#pragma warning restore CA1031
            {
                first ??= e;
            }
        }
        foreach (var w in _mirrorWriters)
        {
            try
            {
                w.End();
            }
#pragma warning disable CA1031
            catch (Exception e)
#pragma warning restore CA1031
            {
                first ??= e;
            }
        }
        if (first is not null) throw new IOException("A WAL mirror write failed.", first);
    }

    /// <summary>Flushes everything appended, stops the threads and releases files and directory locks.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_sync)
        {
            _stopping = true;
            Monitor.Pulse(_sync);
        }
        if (_flusher is null)
        {
            while (CommitNext())
            {
            }
        }
        else
        {
            await _flusherExited.Task.ConfigureAwait(false);
        }
        foreach (var w in _mirrorWriters) w.Dispose();
        if (_preparing is not null)
        {
            _preparer!.Hurry();
            try
            {
                await _preparing.ConfigureAwait(false);
            }
#pragma warning disable CA1031 // a file prepared ahead is only an optimization; recovery deletes a partial one
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
        _active?.Dispose();
        _readCache.Dispose();
        foreach (var l in _locks) l.Dispose();
    }
}
