using Xunit;

namespace Pravega.Embedded.Tests.Contracts;

public sealed class ReaderGroupConfigTests
{
    [Fact]
    public void ForStreamSelectsOneStreamWithItsBounds()
    {
        var start = new StreamCut("s", "x", new Dictionary<long, long> { [0] = 10 });

        ReaderGroupConfig config = ReaderGroupConfig.ForStream("s", "x", start);

        StreamSelection selection = Assert.Single(config.Streams);
        Assert.Equal(new StreamSelection("s", "x", start, null), selection);
        Assert.Null(config.AutomaticCheckpointInterval);
        config.Validate("config");
    }

    [Fact]
    public void FromCheckpointStartsEachStreamAtItsCut()
    {
        var x = new StreamCut("s", "x", new Dictionary<long, long> { [0] = 10 });
        var y = new StreamCut("t", "y", new Dictionary<long, long> { [1] = 20 });

        ReaderGroupConfig config = ReaderGroupConfig.FromCheckpoint(new Checkpoint("cp", [x, y]));

        Assert.Equal([new StreamSelection("s", "x", x), new StreamSelection("t", "y", y)], config.Streams);
    }

    [Fact]
    public void FromCheckpointRejectsUnboundedCuts() =>
        Assert.Throws<ArgumentException>("checkpoint", () => ReaderGroupConfig.FromCheckpoint(new Checkpoint("cp", [StreamCut.Unbounded])));

    [Fact]
    public void ValidateRejectsDuplicateStreamsAndForeignCuts()
    {
        var foreign = new StreamCut("s", "other", new Dictionary<long, long>());
        var twice = new ReaderGroupConfig { Streams = [new StreamSelection("s", "x"), new StreamSelection("s", "x")] };
        var wrongCut = new ReaderGroupConfig { Streams = [new StreamSelection("s", "x", foreign)] };
        var none = new ReaderGroupConfig { Streams = [] };

        Assert.Throws<ArgumentException>("config", () => twice.Validate("config"));
        Assert.Throws<ArgumentException>("config", () => wrongCut.Validate("config"));
        Assert.Throws<ArgumentException>("config", () => none.Validate("config"));
    }

    [Fact]
    public void EventWriterOptionsValidateTheTransactionTimeout()
    {
        new EventWriterOptions { TransactionTimeout = TimeSpan.FromSeconds(1) }.Validate("options");
        Assert.Throws<ArgumentOutOfRangeException>(
            "options", () => new EventWriterOptions { TransactionTimeout = TimeSpan.FromMilliseconds(999) }.Validate("options"));
        Assert.Throws<ArgumentException>("options", () => new EventWriterOptions { WriterId = "bad id" }.Validate("options"));
    }
}
