using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Benchmarks.Load;

/// <summary>
/// The yardstick for the store's write path: the simplest group-committed durable log over the same mirror directories.
/// Callers' records are framed (a header as long as a WAL frame's, <see cref="WalFormat.FrameHeaderSize"/>: length,
/// CRC32C, sequence number, zero padding) into one buffer;
/// one flusher thread takes everything pending, writes it with <see cref="RandomAccess.Write(SafeFileHandle, ReadOnlySpan{byte}, long)"/>
/// to one file per directory and fdatasyncs the files in parallel (the flusher does the first, two dedicated threads
/// the others, exactly the WAL's arrangement), then completes the callers' task for that batch.
/// </summary>
/// <remarks>
/// Two file strategies: <see cref="OpenGrowing"/> is the naive baseline (a file created empty that every batch
/// extends, so each fdatasync also commits a size change and block allocation); <see cref="OpenPreZeroed"/> writes
/// into a file zero-filled before the run and recycled from its start when full, so every fdatasync overwrites blocks
/// already on disk: close to the best that append + fdatasync through the page cache can do here.
/// </remarks>
internal sealed class RawBaseline : IAsyncDisposable
{
    public const string FileName = "wal.raw";
    public const int FrameHeaderSize = WalFormat.FrameHeaderSize;
    private const int ZeroChunk = 1 << 20;

    private readonly object _sync = new();
    private readonly SafeFileHandle[] _files;
    private readonly MirrorSync[] _helpers;
    private readonly Thread _flusher;
    private readonly TaskCompletionSource _flusherExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _recycleAt;
    private byte[] _open = ArrayPool<byte>.Shared.Rent(64 << 10);
    private int _openLength;
    private TaskCompletionSource _openDone = NewCompletion();
    private byte[]? _spare;
    private long _sequence;
    private long _position;
    private Exception? _failure;
    private bool _flusherWaiting;
    private bool _stopping;

    private RawBaseline(SafeFileHandle[] files, long recycleAt)
    {
        _files = files;
        _recycleAt = recycleAt;
        _helpers = new MirrorSync[files.Length - 1];
        for (int m = 0; m < _helpers.Length; m++) _helpers[m] = new MirrorSync(files[m + 1], m + 1);
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "raw-baseline-flusher" };
        _flusher.Start();
    }

    /// <summary>Naive: <c>wal.raw</c> created empty (<see cref="FileMode.Create"/>) in each directory and appended to.</summary>
    public static RawBaseline OpenGrowing(IReadOnlyList<string> directories) =>
        new(OpenFiles(directories, preZeroBytes: 0), recycleAt: 0);

    /// <summary>
    /// <c>wal.raw</c> zero-filled to <paramref name="size"/> bytes and made durable before any append (not timed), then
    /// written from the start, going back to it when the next batch would not fit.
    /// </summary>
    public static RawBaseline OpenPreZeroed(IReadOnlyList<string> directories, int size) =>
        new(OpenFiles(directories, size), recycleAt: size);

    /// <summary>Frames <paramref name="payload"/> into the pending batch; the task completes when it is durable in every file.</summary>
    public Task AppendAsync(ReadOnlySpan<byte> payload)
    {
        lock (_sync)
        {
            if (_failure is not null) return Task.FromException(new IOException("The baseline log failed.", _failure));
            ObjectDisposedException.ThrowIf(_stopping, this);
            int frameLength = FrameHeaderSize + payload.Length;
            EnsureCapacity(_openLength + frameLength);
            var frame = _open.AsSpan(_openLength, frameLength);
            BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
            BinaryPrimitives.WriteInt64LittleEndian(frame[8..], ++_sequence);
            frame[16..FrameHeaderSize].Clear();
            payload.CopyTo(frame[FrameHeaderSize..]);
            BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, frame[8..]));
            _openLength += frameLength;
            if (_flusherWaiting) Monitor.Pulse(_sync);
            return _openDone.Task;
        }
    }

    private void EnsureCapacity(int needed)
    {
        if (_open.Length >= needed) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _open.Length * 2));
        _open.AsSpan(0, _openLength).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_open);
        _open = bigger;
    }

    private void FlushLoop()
    {
        while (true)
        {
            byte[] batch;
            int length;
            TaskCompletionSource done;
            lock (_sync)
            {
                while (_openLength == 0 && !_stopping)
                {
                    _flusherWaiting = true;
                    Monitor.Wait(_sync);
                    _flusherWaiting = false;
                }
                if (_openLength == 0) break;
                (batch, length, done) = (_open, _openLength, _openDone);
                (_open, _openLength, _openDone, _spare) = (_spare ?? ArrayPool<byte>.Shared.Rent(64 << 10), 0, NewCompletion(), null);
            }
            Exception? error = null;
            try
            {
                WriteDurably(new ReadOnlyMemory<byte>(batch, 0, length));
            }
#pragma warning disable CA1031 // a failed write fails the log and every waiter of the batch
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }
            lock (_sync)
            {
                _spare = batch;
                if (error is not null) _failure ??= error;
            }
            if (error is null) done.SetResult();
            else done.SetException(new IOException("The baseline log write failed.", error));
        }
        _flusherExited.TrySetResult();
    }

    private void WriteDurably(ReadOnlyMemory<byte> data)
    {
        if (_recycleAt > 0)
        {
            if (data.Length > _recycleAt) throw new InvalidOperationException($"A {data.Length}-byte batch does not fit the {_recycleAt}-byte file.");
            if (_position + data.Length > _recycleAt) _position = 0;
        }
        foreach (var h in _helpers) h.Begin(data, _position);
        Exception? first = null;
        try
        {
            RandomAccess.Write(_files[0], data.Span, _position);
            NativeIO.FlushData(_files[0]);
        }
#pragma warning disable CA1031 // wait for the other files before reporting
        catch (Exception e)
#pragma warning restore CA1031
        {
            first = e;
        }
        foreach (var h in _helpers)
        {
            try
            {
                h.End();
            }
#pragma warning disable CA1031
            catch (Exception e)
#pragma warning restore CA1031
            {
                first ??= e;
            }
        }
        if (first is not null) throw new IOException("A baseline write failed.", first);
        _position += data.Length;
    }

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static SafeFileHandle[] OpenFiles(IReadOnlyList<string> directories, int preZeroBytes)
    {
        var files = new SafeFileHandle[directories.Count];
        try
        {
            Parallel.For(0, files.Length, m =>
            {
                var file = File.OpenHandle(Path.Combine(directories[m], FileName), FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
                files[m] = file;
                var zeros = new byte[ZeroChunk];
                for (long position = 0; position < preZeroBytes; position += ZeroChunk)
                    RandomAccess.Write(file, zeros.AsSpan(0, (int)Math.Min(ZeroChunk, preZeroBytes - position)), position);
                NativeIO.FlushData(file);
                NativeIO.FlushDirectory(directories[m]);
            });
            return files;
        }
        catch
        {
            foreach (var f in files) f?.Dispose();
            throw;
        }
    }

    /// <summary>Flushes what is pending, stops the threads and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_sync);
        }
        await _flusherExited.Task.ConfigureAwait(false);
        foreach (var h in _helpers) h.Dispose();
        foreach (var f in _files) f.Dispose();
    }

    /// <summary>A dedicated thread that writes and fdatasyncs one file, signalled like the WAL's mirror writers.</summary>
    private sealed class MirrorSync : IDisposable
    {
        private readonly SafeFileHandle _file;
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _start = new(false, spinCount: 100);
        private readonly ManualResetEventSlim _done = new(false, spinCount: 100);
        private ReadOnlyMemory<byte> _data;
        private long _position;
        private Exception? _error;
        private volatile bool _stopping;

        public MirrorSync(SafeFileHandle file, int mirror)
        {
            _file = file;
            _thread = new Thread(Run) { IsBackground = true, Name = $"raw-baseline-mirror-{mirror}" };
            _thread.Start();
        }

        public void Begin(ReadOnlyMemory<byte> data, long position)
        {
            (_data, _position, _error) = (data, position, null);
            _done.Reset();
            _start.Set();
        }

        public void End()
        {
            _done.Wait();
            if (_error is { } e) throw new IOException("A baseline mirror write failed.", e);
        }

        private void Run()
        {
            while (true)
            {
                _start.Wait();
                _start.Reset();
                if (_stopping) return;
                try
                {
                    RandomAccess.Write(_file, _data.Span, _position);
                    NativeIO.FlushData(_file);
                }
#pragma warning disable CA1031 // handed to the flusher
                catch (Exception e)
#pragma warning restore CA1031
                {
                    _error = e;
                }
                _done.Set();
            }
        }

        public void Dispose()
        {
            _stopping = true;
            _start.Set();
            _thread.Join();
            _start.Dispose();
            _done.Dispose();
        }
    }
}
