using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Pravega.Embedded.Tests.Contracts;

public sealed class StreamCutTests
{
    private static readonly Dictionary<long, long> TwoSegments = new() { [0] = 120, [(1L << 32) | 3] = 0 };

    [Fact]
    public void Base64RoundTripGivesAnEqualCut()
    {
        var cut = new StreamCut("scope", "stream", TwoSegments);

        StreamCut back = StreamCut.FromBase64(cut.ToBase64());

        Assert.Equal(cut, back);
        Assert.Equal("scope", back.Scope);
        Assert.Equal("stream", back.Stream);
        Assert.Equal(TwoSegments, back.Positions);
    }

    [Fact]
    public void UnboundedRoundTripsToTheSingleton()
    {
        StreamCut back = StreamCut.FromBase64(StreamCut.Unbounded.ToBase64());

        Assert.Same(StreamCut.Unbounded, back);
        Assert.True(back.IsUnbounded);
        Assert.Equal(string.Empty, back.Scope);
        Assert.Equal(string.Empty, back.Stream);
        Assert.Empty(back.Positions);
    }

    [Fact]
    public void EqualityIgnoresTheOrderOfPositions()
    {
        var forward = new Dictionary<long, long> { [0] = 1, [1] = 2, [2] = 3 };
        var backward = new SortedDictionary<long, long>(Comparer<long>.Create((a, b) => b.CompareTo(a))) { [0] = 1, [1] = 2, [2] = 3 };

        var a = new StreamCut("s", "x", forward);
        var b = new StreamCut("s", "x", backward);

        Assert.True(a.Equals(b));
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void CutsDifferingInAnyPartAreNotEqual()
    {
        var cut = new StreamCut("s", "x", TwoSegments);

        Assert.NotEqual(cut, new StreamCut("t", "x", TwoSegments));
        Assert.NotEqual(cut, new StreamCut("s", "y", TwoSegments));
        Assert.NotEqual(cut, new StreamCut("s", "x", new Dictionary<long, long> { [0] = 120 }));
        Assert.NotEqual(cut, new StreamCut("s", "x", new Dictionary<long, long> { [0] = 121, [(1L << 32) | 3] = 0 }));
        Assert.NotEqual(cut, StreamCut.Unbounded);
        Assert.False(cut.Equals(null));
    }

    [Fact]
    public void TheCutDoesNotSeeLaterChangesOfItsSource()
    {
        var source = new Dictionary<long, long> { [0] = 5 };
        var cut = new StreamCut("s", "x", source);

        source[0] = 6;
        source[1] = 7;

        Assert.Equal(5, cut.Positions[0]);
        Assert.Single(cut.Positions);
    }

    [Fact]
    public void ConstructorRejectsMissingNames()
    {
        Assert.Throws<ArgumentNullException>("scope", () => new StreamCut(null!, "x", TwoSegments));
        Assert.Throws<ArgumentException>("scope", () => new StreamCut("", "x", TwoSegments));
        Assert.Throws<ArgumentException>("stream", () => new StreamCut("s", "", TwoSegments));
        Assert.Throws<ArgumentNullException>("positions", () => new StreamCut("s", "x", null!));
    }

    [Fact]
    public void ToStringIsReadable()
    {
        Assert.Equal("s/x{0:120, 4294967299:0}", new StreamCut("s", "x", TwoSegments).ToString());
        Assert.Equal("StreamCut.Unbounded", StreamCut.Unbounded.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    [InlineData("AAAA")]
    [InlineData("QwE=")] // header only: truncated
    [InlineData("QwIAAAAAAAAAAA==")] // unknown version 2
    [InlineData("UAEAAAAA")] // a position token
    public void FromBase64RejectsGarbage(string garbage)
    {
        var e = Assert.Throws<ArgumentException>("text", () => StreamCut.FromBase64(garbage));
        Assert.Contains("stream cut", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBase64RejectsNull() => Assert.Throws<ArgumentNullException>("text", () => StreamCut.FromBase64(null!));

    [Fact]
    public void FromBase64RejectsEveryTruncationAndTrailingBytes()
    {
        byte[] valid = Convert.FromBase64String(new StreamCut("scope", "stream", TwoSegments).ToBase64());

        for (int length = 0; length < valid.Length; length++)
        {
            string truncated = Convert.ToBase64String(valid.AsSpan(0, length));
            Assert.Throws<ArgumentException>("text", () => StreamCut.FromBase64(truncated));
        }

        string longer = Convert.ToBase64String([.. valid, 0]);
        Assert.Throws<ArgumentException>("text", () => StreamCut.FromBase64(longer));
    }

    [Fact]
    public void FromBase64RejectsAHugeCount()
    {
        // Header, two one-byte names, then a count far beyond the bytes that follow.
        byte[] bytes = [(byte)'C', 1, 0, 1, (byte)'s', 0, 1, (byte)'x', 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Throws<ArgumentException>("text", () => StreamCut.FromBase64(Convert.ToBase64String(bytes)));
    }

    [Fact]
    public void FromBase64RejectsDuplicateSegments()
    {
        byte[] bytes =
        [
            (byte)'C', 1, 0, 1, (byte)'s', 0, 1, (byte)'x', 0, 0, 0, 2,
            0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1,
            0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 2,
        ];
        Assert.Throws<ArgumentException>("text", () => StreamCut.FromBase64(Convert.ToBase64String(bytes)));
    }

    [Fact]
    public void FromBase64RejectsInvalidUtf8InNames()
    {
        byte[] bytes = [(byte)'C', 1, 0, 1, 0xFF, 0, 1, (byte)'x', 0, 0, 0, 0];
        Assert.Throws<ArgumentException>("text", () => StreamCut.FromBase64(Convert.ToBase64String(bytes)));
    }

    [Property(Arbitrary = [typeof(StreamCutArbitraries)], MaxTest = 300)]
    public bool Base64RoundTripPreservesAnyCut(StreamCut cut)
    {
        StreamCut back = StreamCut.FromBase64(cut.ToBase64());
        return back.Equals(cut) && back.GetHashCode() == cut.GetHashCode() && back.Positions.SequenceEqual(cut.Positions);
    }

    [Property(MaxTest = 300)]
    public bool FromBase64NeverThrowsAnythingButArgumentException(byte[] bytes)
    {
        try
        {
            StreamCut.FromBase64(Convert.ToBase64String([(byte)'C', 1, .. bytes ?? []]));
            return true;
        }
        catch (ArgumentException e)
        {
            return e.ParamName == "text";
        }
    }
}

/// <summary>FsCheck generators of valid stream cuts: random names, segment ids and offsets (any 64-bit values).</summary>
public static class StreamCutArbitraries
{
    private static readonly char[] NameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-".ToCharArray();

    public static Arbitrary<StreamCut> StreamCuts()
    {
        Gen<string> names = Gen.Choose(1, 255).SelectMany(length => Gen.ArrayOf(Gen.Elements(NameChars), length)).Select(chars => new string(chars));
        Gen<long> longs = Gen.Zip(Gen.Choose(int.MinValue, int.MaxValue), Gen.Choose(int.MinValue, int.MaxValue))
            .Select(pair => ((long)pair.Item1 << 32) | (uint)pair.Item2);
        Gen<Dictionary<long, long>> positions = Gen.ListOf(Gen.Zip(longs, longs))
            .Select(pairs =>
            {
                var map = new Dictionary<long, long>();
                foreach ((long segment, long offset) in pairs)
                {
                    map.TryAdd(segment, offset);
                }

                return map;
            });
        Gen<StreamCut> cuts = Gen.Zip(Gen.Zip(names, names), positions)
            .Select(t => new StreamCut(t.Item1.Item1, t.Item1.Item2, t.Item2));
        return Gen.Frequency((1, Gen.Constant(StreamCut.Unbounded)), (20, cuts)).ToArbitrary();
    }
}
