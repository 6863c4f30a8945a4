using Xunit;

namespace Pravega.Embedded.Tests.Client;

public sealed class EventReadTests
{
    private static readonly EventPointer Pointer = new(new SegmentKey("s", "x", 0), 0, 3);

    [Fact]
    public void AnEventResultHoldsTheEventAndItsPointer()
    {
        EventRead<string> read = EventRead<string>.Of("abc", Position.Empty, Pointer);

        Assert.True(read.HasEvent);
        Assert.Equal("abc", read.Event);
        Assert.False(read.IsCheckpoint);
        Assert.False(read.IsEndOfStream);
        Assert.Same(Pointer, read.EventPointer);
        Assert.Same(Position.Empty, read.Position);
    }

    [Fact]
    public void OtherResultsHoldNoEvent()
    {
        EventRead<int> timeout = EventRead<int>.Timeout(null);
        EventRead<int> checkpoint = EventRead<int>.Checkpoint("cp", Position.Empty);
        EventRead<int> end = EventRead<int>.EndOfStream(Position.Empty);

        Assert.False(timeout.HasEvent || timeout.IsCheckpoint || timeout.IsEndOfStream);
        Assert.Equal(0, timeout.Event);
        Assert.True(checkpoint.IsCheckpoint);
        Assert.Equal("cp", checkpoint.CheckpointName);
        Assert.False(checkpoint.HasEvent);
        Assert.Null(checkpoint.EventPointer);
        Assert.True(end.IsEndOfStream);
        Assert.False(end.HasEvent);
        Assert.Null(end.CheckpointName);
    }
}
