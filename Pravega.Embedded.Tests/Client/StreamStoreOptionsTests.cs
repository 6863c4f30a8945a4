using Xunit;

namespace Pravega.Embedded.Tests.Client;

public sealed class StreamStoreOptionsTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "pravega-options-test");

    private static StreamStoreOptions Valid() => StreamStoreOptions.InDirectory(Root);

    [Fact]
    public void InDirectoryLaysOutThreeMirrorsAndTier2()
    {
        StreamStoreOptions options = StreamStoreOptions.InDirectory(Root);

        Assert.Equal(
            [Path.Combine(Root, "tier1-0"), Path.Combine(Root, "tier1-1"), Path.Combine(Root, "tier1-2")],
            options.Tier1Directories);
        Assert.Equal(Path.Combine(Root, "tier2"), options.Tier2Directory);
        Assert.Equal(1L << 30, options.Tier1MaxBytes);
        Assert.Equal(256L << 20, options.CacheSizeBytes);
        Assert.Equal(TimeSpan.FromMinutes(1), options.RetentionCheckInterval);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        Assert.Null(options.LoggerFactory);
        options.Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void InDirectoryRejectsAnEmptyRoot(string directory) =>
        Assert.Throws<ArgumentException>("root", () => StreamStoreOptions.InDirectory(directory));

    [Fact]
    public void InDirectoryRejectsNull() =>
        Assert.Throws<ArgumentNullException>("root", () => StreamStoreOptions.InDirectory(null!));

    [Fact]
    public void ASingleMirrorWithoutTier2IsValid() =>
        new StreamStoreOptions { Tier1Directories = [Path.Combine(Root, "only")] }.Validate();

    [Fact]
    public void ValidateRejectsBadDirectories()
    {
        string a = Path.Combine(Root, "a");
        AssertInvalid<ArgumentException>(Valid() with { Tier1Directories = [] }, "Tier1Directories");
        AssertInvalid<ArgumentNullException>(Valid() with { Tier1Directories = null! }, "Tier1Directories");
        AssertInvalid<ArgumentException>(Valid() with { Tier1Directories = [a, ""] }, "Tier1Directories");
        AssertInvalid<ArgumentException>(Valid() with { Tier1Directories = [a, null!] }, "Tier1Directories");
        AssertInvalid<ArgumentException>(Valid() with { Tier1Directories = [a, Path.Combine(Root, "b"), a] }, "Tier1Directories");
        AssertInvalid<ArgumentException>(Valid() with { Tier1Directories = [a, a + Path.DirectorySeparatorChar] }, "Tier1Directories");
        AssertInvalid<ArgumentException>(Valid() with { Tier2Directory = "" }, "Tier2Directory");
        AssertInvalid<ArgumentException>(Valid() with { Tier1Directories = [a], Tier2Directory = a }, "Tier2Directory");
    }

    [Fact]
    public void ValidateRejectsNonPositiveSizesAndIntervals()
    {
        AssertInvalid<ArgumentOutOfRangeException>(Valid() with { Tier1MaxBytes = 0 }, "Tier1MaxBytes");
        AssertInvalid<ArgumentOutOfRangeException>(Valid() with { CacheSizeBytes = -1 }, "CacheSizeBytes");
        AssertInvalid<ArgumentOutOfRangeException>(Valid() with { RetentionCheckInterval = TimeSpan.Zero }, "RetentionCheckInterval");
        AssertInvalid<ArgumentOutOfRangeException>(Valid() with { RetentionCheckInterval = TimeSpan.FromSeconds(-5) }, "RetentionCheckInterval");
        AssertInvalid<ArgumentNullException>(Valid() with { TimeProvider = null! }, "TimeProvider");
        (Valid() with { RetentionCheckInterval = Timeout.InfiniteTimeSpan }).Validate();
    }

    [Fact]
    public void OpenAsyncValidatesOptionsFirst() =>
        Assert.Throws<ArgumentOutOfRangeException>("CacheSizeBytes", () => { _ = StreamStore.OpenAsync(Valid() with { CacheSizeBytes = 0 }); });

    private static void AssertInvalid<TException>(StreamStoreOptions options, string paramName)
        where TException : ArgumentException
    {
        var e = Assert.Throws<TException>(options.Validate);
        Assert.Equal(paramName, e.ParamName);
    }
}
