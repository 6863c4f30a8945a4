using System.Globalization;

namespace Pravega.Embedded;

/// <summary>
/// Points at one event in a segment, so that it can be read again later with
/// <see cref="IStreamStore.FetchEventAsync"/> (which throws <see cref="TruncatedDataException"/> once the event has
/// been removed by truncation or retention). Obtained from <see cref="EventRead{T}.EventPointer"/>.
/// </summary>
/// <remarks>
/// Immutable, with value semantics. <see cref="ToBase64"/> gives a compact, versioned text form that
/// <see cref="FromBase64"/> reads back, also in later versions of the library.
/// </remarks>
public sealed class EventPointer : IEquatable<EventPointer>
{
    private const string TokenKind = "event pointer";

    /// <summary>Creates a pointer to the event stored at <paramref name="offset"/> in <paramref name="segment"/>.</summary>
    /// <param name="segment">The segment holding the event.</param>
    /// <param name="offset">Offset of the event's first byte (its header, if any) in the segment.</param>
    /// <param name="length">Number of bytes the event takes in the segment, from <paramref name="offset"/>.</param>
    /// <exception cref="ArgumentException">The segment's scope or stream is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="length"/> is negative.</exception>
    internal EventPointer(SegmentKey segment, long offset, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment.Scope, nameof(segment));
        ArgumentException.ThrowIfNullOrEmpty(segment.Stream, nameof(segment));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Segment = segment;
        Offset = offset;
        Length = length;
    }

    /// <summary>The segment holding the event.</summary>
    internal SegmentKey Segment { get; }

    /// <summary>Offset of the event in <see cref="Segment"/>.</summary>
    internal long Offset { get; }

    /// <summary>Number of bytes the event takes in the segment, from <see cref="Offset"/>.</summary>
    internal int Length { get; }

    /// <summary>Reads a pointer back from the text of <see cref="ToBase64"/>.</summary>
    /// <param name="text">A token produced by <see cref="ToBase64"/>.</param>
    /// <returns>A pointer equal to the one that produced <paramref name="text"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> is not an event pointer token (ParamName <c>text</c>).</exception>
    public static EventPointer FromBase64(string text)
    {
        TokenReader reader = TokenCodec.Open(text, TokenCodec.EventPointerTag, TokenKind, nameof(text));
        string scope = reader.ReadString();
        string stream = reader.ReadString();
        long segmentId = reader.ReadInt64();
        long offset = reader.ReadInt64();
        int length = reader.ReadInt32();
        reader.EnsureEnd();
        if (scope.Length == 0 || stream.Length == 0)
        {
            reader.Fail("empty scope or stream name");
        }

        if (offset < 0 || length < 0)
        {
            reader.Fail("negative offset or length");
        }

        return new EventPointer(new SegmentKey(scope, stream, segmentId), offset, length);
    }

    /// <summary>A compact, versioned base64 text of this pointer, to store and later pass to <see cref="FromBase64"/>.</summary>
    public string ToBase64()
    {
        int size = TokenCodec.HeaderSize + TokenCodec.StringSize(Segment.Scope) + TokenCodec.StringSize(Segment.Stream)
                 + (2 * sizeof(long)) + sizeof(int);
        var writer = new TokenWriter(new byte[size], TokenCodec.EventPointerTag);
        writer.WriteString(Segment.Scope);
        writer.WriteString(Segment.Stream);
        writer.WriteInt64(Segment.SegmentId);
        writer.WriteInt64(Offset);
        writer.WriteInt32(Length);
        return writer.ToBase64();
    }

    /// <summary>True when <paramref name="other"/> points at the same bytes of the same segment.</summary>
    public bool Equals(EventPointer? other) =>
        other is not null && Segment == other.Segment && Offset == other.Offset && Length == other.Length;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EventPointer);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Segment, Offset, Length);

    /// <summary>A readable form such as <c>EventPointer{s/x/0.#epoch.0, offset 120, length 42}</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"EventPointer{{{Segment}, offset {Offset}, length {Length}}}");
}
