using Xunit;

namespace Pravega.Embedded.Tests.Contracts;

public sealed class PolicyTests
{
    [Fact]
    public void FixedHasOnlyASegmentCount()
    {
        ScalingPolicy policy = ScalingPolicy.Fixed(4);

        Assert.Equal(ScalingPolicyKind.Fixed, policy.Kind);
        Assert.Equal(4, policy.MinSegments);
        Assert.Equal(0, policy.TargetRate);
        Assert.Equal(0, policy.ScaleFactor);
        Assert.Equal(ScalingPolicy.Fixed(4), policy);
        Assert.NotEqual(ScalingPolicy.Fixed(3), policy);
    }

    [Fact]
    public void RatePoliciesKeepTheirArguments()
    {
        ScalingPolicy events = ScalingPolicy.ByEventRate(100, 2, 3);
        ScalingPolicy data = ScalingPolicy.ByDataRate(1024, 3, 1);

        Assert.Equal((ScalingPolicyKind.ByEventRate, 100, 2, 3), (events.Kind, events.TargetRate, events.ScaleFactor, events.MinSegments));
        Assert.Equal((ScalingPolicyKind.ByDataRate, 1024, 3, 1), (data.Kind, data.TargetRate, data.ScaleFactor, data.MinSegments));
        Assert.NotEqual(ScalingPolicy.ByEventRate(100, 2, 3), ScalingPolicy.ByDataRate(100, 2, 3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void FixedRejectsFewerThanOneSegment(int count) =>
        Assert.Throws<ArgumentOutOfRangeException>("segments", () => ScalingPolicy.Fixed(count));

    [Theory]
    [InlineData(0, 2, 1, "targetEventsPerSecond")]
    [InlineData(-5, 2, 1, "targetEventsPerSecond")]
    [InlineData(10, 0, 1, "scaleFactor")]
    [InlineData(10, 2, 0, "minSegments")]
    public void ByEventRateValidates(int rate, int factor, int min, string paramName) =>
        Assert.Throws<ArgumentOutOfRangeException>(paramName, () => ScalingPolicy.ByEventRate(rate, factor, min));

    [Theory]
    [InlineData(0, 2, 1, "targetKiBPerSecond")]
    [InlineData(10, -1, 1, "scaleFactor")]
    [InlineData(10, 2, -3, "minSegments")]
    public void ByDataRateValidates(int rate, int factor, int min, string paramName) =>
        Assert.Throws<ArgumentOutOfRangeException>(paramName, () => ScalingPolicy.ByDataRate(rate, factor, min));

    [Fact]
    public void RetentionPoliciesKeepTheirBound()
    {
        RetentionPolicy byTime = RetentionPolicy.ByTime(TimeSpan.FromDays(1));
        RetentionPolicy bySize = RetentionPolicy.BySize(1 << 20);

        Assert.Equal(RetentionPolicyKind.Time, byTime.Kind);
        Assert.Equal(TimeSpan.FromDays(1), byTime.KeepAtLeastTime);
        Assert.Null(byTime.KeepAtLeastBytes);
        Assert.Equal(RetentionPolicyKind.Size, bySize.Kind);
        Assert.Equal(1 << 20, bySize.KeepAtLeastBytes);
        Assert.Null(bySize.KeepAtLeastTime);
        Assert.Equal(RetentionPolicy.BySize(1 << 20), bySize);
    }

    [Fact]
    public void RetentionPoliciesRejectNonPositiveBounds()
    {
        Assert.Throws<ArgumentOutOfRangeException>("keepAtLeast", () => RetentionPolicy.ByTime(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>("keepAtLeast", () => RetentionPolicy.ByTime(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>("keepAtLeastBytes", () => RetentionPolicy.BySize(0));
        Assert.Throws<ArgumentOutOfRangeException>("keepAtLeastBytes", () => RetentionPolicy.BySize(-1));
    }

    [Fact]
    public void StreamConfigurationDefaultsToOneFixedSegmentAndNoRetention()
    {
        var config = new StreamConfiguration();

        Assert.Equal(ScalingPolicy.Fixed(1), config.ScalingPolicy);
        Assert.Null(config.RetentionPolicy);
    }

    [Fact]
    public void KeyRangeContainsItsLowBoundButNotItsHighBound()
    {
        var range = new KeyRange(0.25, 0.5);

        Assert.True(range.IsValid);
        Assert.True(range.Contains(0.25));
        Assert.True(range.Contains(0.4999));
        Assert.False(range.Contains(0.5));
        Assert.False(range.Contains(0.1));
        Assert.False(new KeyRange(0.5, 0.5).IsValid);
        Assert.False(new KeyRange(-0.1, 0.5).IsValid);
        Assert.False(new KeyRange(0.5, 1.1).IsValid);
        Assert.False(new KeyRange(double.NaN, 1).IsValid);
        Assert.True(KeyRange.Full.IsValid);
    }

    [Fact]
    public void KeyVersionConstants()
    {
        Assert.Equal(-1, KeyVersion.NotExists.Value);
        Assert.Equal(long.MinValue, KeyVersion.Any.Value);
        Assert.NotEqual(default, KeyVersion.NotExists);
    }
}
