using Xunit;

namespace Pravega.Embedded.Tests.Client;

public sealed class PositionTests
{
    private static Position Sample() => new(new Dictionary<SegmentKey, long>
    {
        [new SegmentKey("s", "x", 0)] = 10,
        [new SegmentKey("s", "x", (2L << 32) | 5)] = 0,
        [new SegmentKey("s", "y", 1)] = 99,
        [new SegmentKey("other", "x", 0)] = 1L << 40,
    });

    [Fact]
    public void Base64RoundTripGivesAnEqualPosition()
    {
        Position position = Sample();

        Position back = Position.FromBase64(position.ToBase64());

        Assert.Equal(position, back);
        Assert.Equal(position.GetHashCode(), back.GetHashCode());
        Assert.Equal(4, back.OwnedSegments.Count);
        Assert.Equal(99, back.OwnedSegments[new SegmentKey("s", "y", 1)]);
    }

    [Fact]
    public void EmptyPositionRoundTrips()
    {
        Position back = Position.FromBase64(Position.Empty.ToBase64());

        Assert.Equal(Position.Empty, back);
        Assert.Empty(back.OwnedSegments);
    }

    [Fact]
    public void PositionsDifferingInAnOffsetAreNotEqual()
    {
        var a = new Position(new Dictionary<SegmentKey, long> { [new SegmentKey("s", "x", 0)] = 1 });
        var b = new Position(new Dictionary<SegmentKey, long> { [new SegmentKey("s", "x", 0)] = 2 });

        Assert.NotEqual(a, b);
        Assert.NotEqual(a, Position.Empty);
    }

    [Theory]
    [InlineData("")]
    [InlineData("%%%")]
    [InlineData("UAE=")] // header only
    [InlineData("UAEAAAAB")] // one stream announced, none present
    [InlineData("QwEAAAAAAAA=")] // a stream cut token
    public void FromBase64RejectsGarbage(string garbage) =>
        Assert.Throws<ArgumentException>("text", () => Position.FromBase64(garbage));

    [Fact]
    public void FromBase64RejectsEveryTruncationAndTrailingBytes()
    {
        byte[] valid = Convert.FromBase64String(Sample().ToBase64());

        for (int length = 0; length < valid.Length; length++)
        {
            string truncated = Convert.ToBase64String(valid.AsSpan(0, length));
            Assert.Throws<ArgumentException>("text", () => Position.FromBase64(truncated));
        }

        Assert.Throws<ArgumentException>("text", () => Position.FromBase64(Convert.ToBase64String([.. valid, 1])));
    }

    [Fact]
    public void FromBase64RejectsNull() => Assert.Throws<ArgumentNullException>("text", () => Position.FromBase64(null!));
}
