using Xunit;

namespace Pravega.Embedded.Tests.Client;

public sealed class EventPointerTests
{
    private static readonly SegmentKey Segment = new("scope", "stream", (3L << 32) | 1);

    [Fact]
    public void Base64RoundTripGivesAnEqualPointer()
    {
        var pointer = new EventPointer(Segment, 1L << 33, 4096);

        EventPointer back = EventPointer.FromBase64(pointer.ToBase64());

        Assert.Equal(pointer, back);
        Assert.Equal(pointer.GetHashCode(), back.GetHashCode());
        Assert.Equal(Segment, back.Segment);
        Assert.Equal(1L << 33, back.Offset);
        Assert.Equal(4096, back.Length);
    }

    [Fact]
    public void PointersDifferingInAnyPartAreNotEqual()
    {
        var pointer = new EventPointer(Segment, 10, 5);

        Assert.NotEqual(pointer, new EventPointer(Segment, 11, 5));
        Assert.NotEqual(pointer, new EventPointer(Segment, 10, 6));
        Assert.NotEqual(pointer, new EventPointer(Segment with { SegmentId = 0 }, 10, 5));
    }

    [Fact]
    public void ConstructorRejectsNegativeValues()
    {
        Assert.Throws<ArgumentOutOfRangeException>("offset", () => new EventPointer(Segment, -1, 5));
        Assert.Throws<ArgumentOutOfRangeException>("length", () => new EventPointer(Segment, 0, -1));
    }

    [Theory]
    [InlineData("")]
    [InlineData("@@@@")]
    [InlineData("RQE=")] // header only
    [InlineData("UAEAAAAA")] // a position token
    public void FromBase64RejectsGarbage(string garbage) =>
        Assert.Throws<ArgumentException>("text", () => EventPointer.FromBase64(garbage));

    [Fact]
    public void FromBase64RejectsNegativeOffsets()
    {
        byte[] bytes =
        [
            (byte)'E', 1, 0, 1, (byte)'s', 0, 1, (byte)'x',
            0, 0, 0, 0, 0, 0, 0, 0,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0, 0, 0, 1,
        ];
        Assert.Throws<ArgumentException>("text", () => EventPointer.FromBase64(Convert.ToBase64String(bytes)));
    }

    [Fact]
    public void FromBase64RejectsEveryTruncationAndTrailingBytes()
    {
        byte[] valid = Convert.FromBase64String(new EventPointer(Segment, 7, 8).ToBase64());

        for (int length = 0; length < valid.Length; length++)
        {
            string truncated = Convert.ToBase64String(valid.AsSpan(0, length));
            Assert.Throws<ArgumentException>("text", () => EventPointer.FromBase64(truncated));
        }

        Assert.Throws<ArgumentException>("text", () => EventPointer.FromBase64(Convert.ToBase64String([.. valid, 1])));
    }
}
