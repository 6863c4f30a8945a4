using System.Buffers;
using System.Runtime.InteropServices;
using Pravega.Embedded.Controller;
using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Client.Internal;

/// <summary>
/// Events a writer has taken but not yet appended, in call order: their serialized bytes in one pooled buffer (the
/// serializer writes straight into it) and where each lies. The writer fills one stage under its lock while another is
/// appended to the log as a whole (<see cref="EventStreamWriter{T}"/>), then empties and reuses it.
/// </summary>
internal sealed class WriteStage : IBufferWriter<byte>
{
    private const int KeepBytes = 1 << 20; // a buffer beyond this (a large event's) goes back to the pool when the stage is emptied
    private const int MaxWrites = 512; // appended under one container lock, sharing one task: bounds both
    private const int MaxBytes = 256 << 10;

    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(4096);
    private int _length;
    private readonly List<StagedWrite> _writes = [];

    /// <summary>How many bytes the stage holds; where the next event's serialized bytes start.</summary>
    public int Length => _length;

    public bool IsEmpty => _writes.Count == 0;

    /// <summary>Whether the stage's buffer is small (many such are kept for reuse; see <c>EventStreamWriter</c>).</summary>
    public bool IsSmall => _bytes.Length <= 64 << 10;

    /// <summary>Whether the stage took its most: later writes go to the next one.</summary>
    public bool IsFull => _writes.Count >= MaxWrites || _length >= MaxBytes;

    public ReadOnlySpan<StagedWrite> Writes => CollectionsMarshal.AsSpan(_writes);

    /// <summary>All the bytes the stage holds.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _length);

    /// <summary>The acknowledgement of the stage's writes (created with its first write; null while empty).</summary>
    public StageAck? Ack { get; private set; }

    /// <summary>The serialized bytes of <paramref name="write"/>.</summary>
    public ReadOnlySpan<byte> BytesOf(in StagedWrite write) => _bytes.AsSpan(write.Start, write.Length);

    /// <summary>
    /// Takes the event serialized from <paramref name="start"/> to <see cref="Length"/>. Returns the task that
    /// acknowledges it: the stage's shared one, or (a write with an event number, which may be a duplicate) its own.
    /// </summary>
    public Task<WriteResult> Add(StreamState stream, double point, int start, long eventNumber, TaskCreationOptions options)
    {
        Ack ??= new StageAck(options);
        if (eventNumber == SegmentContainer.NoEventNumber)
        {
            _writes.Add(new StagedWrite(stream, point, start, _length - start, eventNumber, -1));
            return Ack.Task;
        }
        var own = new TaskCompletionSource<WriteResult>(options);
        _writes.Add(new StagedWrite(stream, point, start, _length - start, eventNumber, Ack.Track(own)));
        return own.Task;
    }

    /// <summary>Drops bytes written after <paramref name="length"/> (an event refused or whose serializer failed).</summary>
    public void Truncate(int length) => _length = Math.Min(_length, length);

    /// <summary>Empties the stage for reuse (its acknowledgement stays with whoever completes it).</summary>
    public void Reset()
    {
        _writes.Clear();
        _length = 0;
        Ack = null;
        if (_bytes.Length <= KeepBytes) return;
        ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = ArrayPool<byte>.Shared.Rent(4096);
    }

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_bytes.Length - _length)) throw new ArgumentOutOfRangeException(nameof(count));
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.AsSpan(_length);
    }

    private void Reserve(int sizeHint)
    {
        int needed = _length + Math.Max(sizeHint, 1);
        if (needed <= _bytes.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _bytes.Length * 2));
        _bytes.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = bigger;
    }
}

/// <summary>
/// One staged event: its stream as resolved at the call, its key's point, where its bytes lie in the stage, its
/// event number (<c>NoEventNumber</c> if none), and, when it has one, the index of its own task in the stage's
/// acknowledgement (<see cref="StageAck.Track"/>; -1 otherwise).
/// </summary>
internal readonly record struct StagedWrite(StreamState Stream, double Point, int Start, int Length, long EventNumber, int Own);
