using System.Buffers;
using System.Buffers.Binary;

namespace Pravega.Embedded.Benchmarks.Read;

/// <summary>
/// A deserializer that only returns the event's length: it neither copies nor touches the payload, so a catch-up read
/// through it costs what the library itself costs per event (finding it, positions, the <see cref="EventRead{T}"/>).
/// </summary>
internal sealed class LengthOnlySerializer : ISerializer<int>
{
    public static LengthOnlySerializer Instance { get; } = new();

    public void Serialize(int value, IBufferWriter<byte> output) =>
        throw new NotSupportedException("Read-only: the catch-up benchmark writes byte arrays.");

    public int Deserialize(ReadOnlySequence<byte> bytes) => checked((int)bytes.Length);
}

/// <summary>
/// <see cref="Serializers.Bytes"/> without the zeroing: copies the event into an array from
/// <see cref="GC.AllocateUninitializedArray{T}(int, bool)"/> instead of <c>ToArray()</c>'s <c>new byte[]</c>, which the runtime
/// clears before the copy overwrites it. Measured beside <see cref="Serializers.Bytes"/> as a candidate for it.
/// </summary>
internal sealed class UninitializedBytesSerializer : ISerializer<byte[]>
{
    public static UninitializedBytesSerializer Instance { get; } = new();

    public void Serialize(byte[] value, IBufferWriter<byte> output) => Serializers.Bytes.Serialize(value, output);

    public byte[] Deserialize(ReadOnlySequence<byte> bytes)
    {
        var array = GC.AllocateUninitializedArray<byte>(checked((int)bytes.Length));
        bytes.CopyTo(array);
        return array;
    }
}

/// <summary>
/// Copies each event into one reused buffer and returns its length: the same work per byte as the raw read (one copy
/// into memory that stays in the CPU's cache), without an allocation per event. Not for concurrent readers.
/// </summary>
internal sealed class ReusedBufferSerializer : ISerializer<int>
{
    private byte[] _buffer = new byte[64 << 10];

    public void Serialize(int value, IBufferWriter<byte> output) =>
        throw new NotSupportedException("Read-only: the catch-up benchmark writes byte arrays.");

    public int Deserialize(ReadOnlySequence<byte> bytes)
    {
        int length = checked((int)bytes.Length);
        if (_buffer.Length < length) _buffer = new byte[length];
        bytes.CopyTo(_buffer);
        return length;
    }
}

/// <summary>A tail-latency event: its id (index into the benchmark's timestamp arrays) and its total size.</summary>
internal readonly record struct TailEvent(int Id, int Size);

/// <summary>
/// Writes a <see cref="TailEvent"/> as its id (4 bytes, little endian) followed by filler up to its size, straight
/// into the writer's buffer (no array per event); reads back the id and the size.
/// </summary>
internal sealed class TailEventSerializer : ISerializer<TailEvent>
{
    public static TailEventSerializer Instance { get; } = new();

    public void Serialize(TailEvent value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(value.Size)[..value.Size];
        BinaryPrimitives.WriteInt32LittleEndian(span, value.Id);
        span[sizeof(int)..].Fill(0x5A);
        output.Advance(value.Size);
    }

    public TailEvent Deserialize(ReadOnlySequence<byte> bytes)
    {
        Span<byte> id = stackalloc byte[sizeof(int)];
        bytes.Slice(0, sizeof(int)).CopyTo(id);
        return new TailEvent(BinaryPrimitives.ReadInt32LittleEndian(id), checked((int)bytes.Length));
    }
}
