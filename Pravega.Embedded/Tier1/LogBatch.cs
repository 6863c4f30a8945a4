using System.Buffers;

namespace Pravega.Embedded.Tier1;

/// <summary>
/// Frames appended since the last flush, contiguous in one log file: written to every mirror with one write
/// and one fdatasync each. Buffers are pooled and reused, so steady-state appends do not allocate.
/// </summary>
internal sealed class LogBatch
{
    private byte[] _buffer = [];

    public long FileSequence { get; private set; }
    public int FilePosition { get; private set; }
    public long FirstLsn { get; private set; }
    public long LastLsn { get; set; }

    /// <summary>One task for every caller that wants a <see cref="Task"/> for this batch's durability (created on demand).</summary>
    public TaskCompletionSource? SharedCompletion { get; set; }
    public int Length { get; set; }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    public void Reset(long fileSequence, int filePosition, long firstLsn, int capacity)
    {
        FileSequence = fileSequence;
        FilePosition = filePosition;
        FirstLsn = firstLsn;
        LastLsn = firstLsn - 1;
        Length = 0;
        EnsureCapacity(capacity);
    }

    /// <summary>Room for <paramref name="frameLength"/> more bytes; returns the span they go into.</summary>
    public Span<byte> Reserve(int frameLength)
    {
        EnsureCapacity(Length + frameLength);
        return _buffer.AsSpan(Length, frameLength);
    }

    /// <summary>Gives a large buffer back to the pool so one 8 MiB event does not pin 8 MiB per pooled batch.</summary>
    public void Trim(int keep)
    {
        if (_buffer.Length <= keep) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void EnsureCapacity(int needed)
    {
        if (_buffer.Length >= needed) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, Length).CopyTo(bigger);
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
