using System.Buffers;

namespace Pravega.Embedded.Tests.Client;

/// <summary>Builds <see cref="ReadOnlySequence{T}"/> values made of several segments, as a segment store returns them.</summary>
internal static class TestSequences
{
    /// <summary>Splits <paramref name="bytes"/> into a sequence of segments of at most <paramref name="chunkSize"/> bytes.</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlySpan<byte> bytes, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        if (bytes.Length <= chunkSize)
        {
            return new ReadOnlySequence<byte>(bytes.ToArray());
        }

        var first = new Chunk(bytes[..chunkSize].ToArray(), 0);
        Chunk last = first;
        for (int start = chunkSize; start < bytes.Length; start += chunkSize)
        {
            last = last.Append(bytes[start..Math.Min(start + chunkSize, bytes.Length)].ToArray());
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
