using System.Buffers;
using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;
using Pravega.Embedded.SegmentStore;
using Pravega.Embedded.Tier1;

namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>
/// The live read path's cost per event (issue 6, item 7): the slice of a read-only mapping that the store hands the
/// serializer today, against <c>pread</c> (<see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>) of the
/// event into an <see cref="ArrayPool{T}"/> buffer, which would turn a bad sector into an EIO (another mirror can answer)
/// instead of a SIGBUS (the process dies); also a batched <c>pread</c> of 64 KiB of consecutive events (what a reader
/// prefetch would do) and the mapping as found after the file left the store's bounded mapping cache. Every variant
/// deserializes with <see cref="Serializers.Bytes"/>, a new <c>byte[]</c> per event, as a user reading <c>byte[]</c>
/// events does.
/// </summary>
/// <remarks>
/// The file is a 32 MiB WAL file in the temp directory: a 4 KiB header block, then frames back to back as the store
/// writes them for appends of a 32-character writer id (32-byte frame header, 26-byte append header, the writer id,
/// <c>[i32 length][event]</c>), so an event's bytes sit where the segment index points. It is written and read once
/// in the setup, so the page cache is warm (the live-read case: readers read what was just acknowledged). Each
/// invocation reads the next <see cref="EventsPerInvoke"/> events in log order, wrapping at the end of the file, so
/// over a run every variant goes through the whole file alike. The mapping variant calls
/// <see cref="DeviceMapping.PrefetchAhead(int, int)"/> as <c>WalReadCache.Read</c> does; no variant counts the read
/// lease's reference count or the index lookup, which both paths would keep.
/// </remarks>
public class LiveReadPathBenchmarks
{
    private const int EventsPerInvoke = 512;
    private const int FileSize = 32 << 20;
    private const int WriterIdLength = 32;
    private const int AppendHeaderSize = 1 + 8 + 8 + 8 + 1; // as SegmentContainer writes it
    private const int RecordPrefix = WalFormat.FrameHeaderSize + AppendHeaderSize + WriterIdLength;
    private const int SegmentContainerEventHeader = SegmentContainer.EventHeaderSize;
    private const int BatchSize = 64 << 10;

    private string _path = "";
    private MappedMemory? _mapping;
    private MappedMemory? _remapped; // the remapping variant's mapping, new at every pass over the file
    private SafeFileHandle? _handle;
    private int[] _positions = []; // where each event's segment bytes ([i32 length][event]) start in the file
    private int _segmentBytes;
    private int _next;
    private byte[]? _batch; // the pooled buffer of the batched variant, kept across invocations as a reader would
    private long _batchStart;
    private int _batchLength;

    [Params(100, 1024, 64 * 1024)]
    public int EventSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "pravega-bench-liveread-" + Guid.NewGuid().ToString("N") + ".log");
        _segmentBytes = SegmentContainerEventHeader + EventSize;
        int record = RecordPrefix + _segmentBytes;
        int count = (FileSize - WalFormat.FileHeaderSize) / record;
        _positions = new int[count];
        var file = new byte[FileSize];
        var random = new Random(42);
        random.NextBytes(file.AsSpan(0, WalFormat.FileHeaderSize));
        for (int i = 0; i < count; i++)
        {
            int frame = WalFormat.FileHeaderSize + i * record;
            var bytes = file.AsSpan(frame, record);
            random.NextBytes(bytes);
            BinaryPrimitives.WriteInt32LittleEndian(bytes, record - WalFormat.FrameHeaderSize);
            _positions[i] = frame + RecordPrefix;
            BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(_positions[i]), EventSize);
        }
        File.WriteAllBytes(_path, file);

        _handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        _mapping = MappedMemory.Open(_path, FileSize);
        // Warms the page cache, the mapping's page tables and the pool, and checks that the four reads agree.
        long mapped = 0, single = 0, batched = 0;
        for (int i = 0; i < count; i++) mapped += ReadMapped();
        for (int i = 0; i < count; i++) single += ReadPread();
        for (int i = 0; i < count; i++) batched += ReadBatched();
        long remapped = 0;
        for (int i = 0; i < count; i++) remapped += ReadRemapped();
        if (mapped != single || mapped != batched || mapped != remapped || mapped <= 0)
            throw new InvalidOperationException($"The reads disagree: mapping {mapped}, pread {single}, batched pread {batched}, remapped {remapped}.");
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        ((IDisposable?)_mapping)?.Dispose();
        ((IDisposable?)_remapped)?.Dispose();
        _handle?.Dispose();
        if (_batch is not null) ArrayPool<byte>.Shared.Return(_batch);
        (_mapping, _remapped, _handle, _batch, _batchLength) = (null, null, null, null, 0);
        if (_path.Length > 0) File.Delete(_path);
    }

    /// <summary>Today's path: the event's slice of the mapped file, deserialized in place (the deserializer copies it out).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerInvoke)]
    public long Mapping_Bytes()
    {
        long sum = 0;
        for (int i = 0; i < EventsPerInvoke; i++) sum += ReadMapped();
        return sum;
    }

    /// <summary>
    /// The mapping as a reader finds it when the file had left the store's bounded mapping cache (<c>WalReadCache</c>
    /// keeps 16 sealed files; a catch-up over a longer log maps every file again): the file is mapped anew at the start
    /// of every pass over it (the previous mapping unmapped first, on the reader's thread, as an eviction does), so the
    /// pages are in the page cache but not in the page tables, and <see cref="DeviceMapping.PrefetchAhead(int, int)"/>
    /// populates them 2 MiB chunks ahead on the thread pool as in the store.
    /// </summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long MappingRemappedPerPass_Bytes()
    {
        long sum = 0;
        for (int i = 0; i < EventsPerInvoke; i++) sum += ReadRemapped();
        return sum;
    }

    /// <summary>One <c>pread</c> of the event's segment bytes into a buffer rented for it, then returned.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long Pread_Bytes()
    {
        long sum = 0;
        for (int i = 0; i < EventsPerInvoke; i++) sum += ReadPread();
        return sum;
    }

    /// <summary>
    /// A prefetching reader: one <c>pread</c> of 64 KiB from the first event not yet buffered into one pooled buffer
    /// (or of one record, if larger), then events deserialized from that buffer until the next one is not whole in it.
    /// </summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public long PreadBatch64K_Bytes()
    {
        long sum = 0;
        for (int i = 0; i < EventsPerInvoke; i++) sum += ReadBatched();
        return sum;
    }

    private long ReadMapped() => ReadFromMapping(_mapping!, NextPosition());

    private long ReadRemapped()
    {
        if (_next == 0 || _remapped is null)
        {
            ((IDisposable?)_remapped)?.Dispose();
            _remapped = null;
            _remapped = MappedMemory.Open(_path, FileSize);
        }
        return ReadFromMapping(_remapped, NextPosition());
    }

    private long ReadFromMapping(MappedMemory mapping, int position)
    {
        mapping.PrefetchAhead(position, _segmentBytes);
        var bytes = mapping.Memory.Slice(position, _segmentBytes);
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.Span);
        return Checksum(Serializers.Bytes.Deserialize(new ReadOnlySequence<byte>(bytes.Slice(SegmentContainerEventHeader, length))));
    }

    private long ReadPread()
    {
        int position = NextPosition();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_segmentBytes);
        try
        {
            ReadExactly(buffer.AsSpan(0, _segmentBytes), position);
            int length = BinaryPrimitives.ReadInt32LittleEndian(buffer);
            return Checksum(Serializers.Bytes.Deserialize(new ReadOnlySequence<byte>(buffer, SegmentContainerEventHeader, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private long ReadBatched()
    {
        int position = NextPosition();
        if (_batch is null || position < _batchStart || position + _segmentBytes > _batchStart + _batchLength)
        {
            if (_batch is not null) ArrayPool<byte>.Shared.Return(_batch);
            int size = Math.Max(BatchSize, _segmentBytes);
            _batch = ArrayPool<byte>.Shared.Rent(size);
            _batchStart = position;
            _batchLength = ReadUpTo(_batch.AsSpan(0, size), position);
        }
        int at = (int)(position - _batchStart);
        int length = BinaryPrimitives.ReadInt32LittleEndian(_batch.AsSpan(at));
        return Checksum(Serializers.Bytes.Deserialize(new ReadOnlySequence<byte>(_batch, at + SegmentContainerEventHeader, length)));
    }

    private int NextPosition()
    {
        int position = _positions[_next];
        if (++_next == _positions.Length) _next = 0;
        return position;
    }

    private void ReadExactly(Span<byte> destination, long offset)
    {
        if (ReadUpTo(destination, offset) != destination.Length)
            throw new EndOfStreamException($"Short read at {offset}.");
    }

    /// <summary>Reads until <paramref name="destination"/> is full or the file ends (the last batch of the file).</summary>
    private int ReadUpTo(Span<byte> destination, long offset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(_handle!, destination[total..], offset + total);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    /// <summary>Uses the deserialized event (its length and first and last bytes), so no variant's copy can be skipped.</summary>
    private static long Checksum(byte[] evt) => evt.Length + evt[0] + evt[^1];
}
