using Xunit;

namespace Pravega.Embedded.Tests.Integration;

/// <summary>Every bad input gets the exception API.md names, and writes nothing.</summary>
public sealed class BadInputTests : IAsyncLifetime, IDisposable
{
    private readonly TempStoreDirectory _dir = new();
    private StreamStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await _dir.OpenAsync(walFileSize: 32 << 20);
        await _store.CreateStreamAsync("s", "t", segments: 2);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string?> BadNames => new() { null, "", "has_underscore", "has space", "slash/", "ümlaut", new string('a', 256) };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Invalid_names_are_rejected_with_the_parameter_name(string? name)
    {
        var config = new StreamConfiguration();
        AssertParam("scope", await Assert.ThrowsAnyAsync<ArgumentException>(() => _store.Streams.CreateScopeAsync(name!)));
        AssertParam("stream", await Assert.ThrowsAnyAsync<ArgumentException>(() => _store.Streams.CreateStreamAsync("s", name!, config)));
        AssertParam("scope", await Assert.ThrowsAnyAsync<ArgumentException>(() => _store.Streams.CreateStreamAsync(name!, "t", config)));
        AssertParam("groupName", await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            _store.ReaderGroups.CreateReaderGroupAsync("s", name!, ReaderGroupConfig.ForStream("s", "t"))));
        AssertParam("stream", Assert.ThrowsAny<ArgumentException>(() => _store.CreateEventWriter("s", name!, Serializers.Utf8)));
        Assert.Equal(["s"], await _store.Streams.ListScopesAsync().ToListAsync());
        Assert.Equal(["t"], await _store.Streams.ListStreamsAsync("s").ToListAsync());
    }

    [Theory]
    [InlineData("a.b-c")]
    [InlineData("Z9")]
    public async Task Valid_names_are_accepted(string name)
    {
        Assert.True(await _store.Streams.CreateScopeAsync(name));
        Assert.False(await _store.Streams.CreateScopeAsync(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad id")]
    [InlineData("bad/id")]
    public void Invalid_reader_and_writer_ids_are_rejected(string id)
    {
        Assert.ThrowsAny<ArgumentException>(() => _store.CreateReader(id, "s", "g", Serializers.Utf8));
        Assert.ThrowsAny<ArgumentException>(() => _store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { WriterId = id }));
    }

    [Fact]
    public async Task An_event_over_8_MiB_is_rejected_and_nothing_is_written()
    {
        await using var writer = _store.CreateEventWriter("s", "t", Serializers.Bytes);
        await writer.WriteEventAsync("k", new byte[8 * 1024 * 1024]);
        long tail = await _store.TailLengthAsync("s", "t");

        var e = await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteEventAsync("k", new byte[8 * 1024 * 1024 + 1]));

        Assert.Equal("evt", e.ParamName);
        Assert.Equal(tail, await _store.TailLengthAsync("s", "t"));
    }

    [Fact]
    public async Task Missing_scopes_and_streams_get_their_own_exceptions()
    {
        var config = new StreamConfiguration();
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => _store.Streams.CreateStreamAsync("nope", "t", config));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => _store.Streams.GetStreamInfoAsync("nope", "t"));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => _store.Streams.SealStreamAsync("nope", "t"));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => _store.Streams.SealStreamAsync("s", "nope"));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => _store.Streams.GetActiveSegmentsAsync("s", "nope"));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => _store.CreateEventWriter("nope", "t", Serializers.Utf8).WriteEventAsync("k", "v"));
        await Assert.ThrowsAsync<StreamNotFoundException>(() => _store.CreateEventWriter("s", "nope", Serializers.Utf8).WriteEventAsync("k", "v"));
        await Assert.ThrowsAsync<StreamNotFoundException>(() =>
            _store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "nope")));
        await Assert.ThrowsAsync<ReaderGroupNotFoundException>(() => _store.ReaderGroups.GetReaderGroupAsync("s", "nope"));
        await Assert.ThrowsAsync<ReaderGroupNotFoundException>(() =>
            _store.CreateReader("r", "s", "nope", Serializers.Utf8).ReadNextEventAsync(TimeSpan.Zero).AsTask());
        Assert.False(await _store.Streams.DeleteStreamAsync("nope", "t"));
        Assert.False(await _store.Streams.DeleteStreamAsync("s", "nope"));
        Assert.False(await _store.Streams.DeleteScopeAsync("nope"));
        Assert.False(await _store.ReaderGroups.DeleteReaderGroupAsync("s", "nope"));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => _store.Streams.ListStreamsAsync("nope").ToListAsync().AsTask());
    }

    [Fact]
    public async Task Deleting_a_scope_with_streams_or_an_unsealed_stream_is_an_invalid_operation()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.Streams.DeleteScopeAsync("s"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.Streams.DeleteStreamAsync("s", "t"));
        Assert.Equal(["t"], await _store.Streams.ListStreamsAsync("s").ToListAsync());
    }

    [Fact]
    public async Task Writing_to_a_sealed_stream_fails_and_writes_nothing()
    {
        await using var writer = _store.CreateEventWriter("s", "t", Serializers.Utf8);
        await writer.WriteEventAsync("k", "before");
        await _store.Streams.SealStreamAsync("s", "t");
        await _store.Streams.SealStreamAsync("s", "t"); // idempotent
        long tail = await _store.TailLengthAsync("s", "t");

        await Assert.ThrowsAsync<StreamSealedException>(() => writer.WriteEventAsync("k", "after"));
        await Assert.ThrowsAsync<StreamSealedException>(() => writer.WriteEventAsync("k", "after", 5));
        await Assert.ThrowsAsync<StreamSealedException>(() => _store.Streams.UpdateStreamAsync("s", "t", new StreamConfiguration()));

        Assert.Equal(tail, await _store.TailLengthAsync("s", "t"));
        Assert.True(await _store.Streams.DeleteStreamAsync("s", "t"));
    }

    [Fact]
    public async Task A_reader_id_already_online_in_its_group_is_refused()
    {
        await _store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t"));
        await using var first = _store.CreateReader("same", "s", "g", Serializers.Utf8);
        await first.ReadNextEventAsync(TimeSpan.Zero);
        await using var second = _store.CreateReader("same", "s", "g", Serializers.Utf8);

        await Assert.ThrowsAsync<InvalidOperationException>(() => second.ReadNextEventAsync(TimeSpan.Zero).AsTask());
        var group = await _store.ReaderGroups.GetReaderGroupAsync("s", "g");
        Assert.Equal(["same"], await group.GetOnlineReadersAsync());
    }

    [Fact]
    public async Task Creating_an_existing_reader_group_returns_false_and_keeps_its_configuration()
    {
        await _store.CreateStreamAsync("s", "other", segments: 1);
        Assert.True(await _store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "t")));
        Assert.False(await _store.ReaderGroups.CreateReaderGroupAsync("s", "g", ReaderGroupConfig.ForStream("s", "other")));
    }

    [Fact]
    public async Task Use_after_dispose_throws_ObjectDisposedException()
    {
        var writer = _store.CreateEventWriter("s", "t", Serializers.Utf8);
        await writer.WriteEventAsync("k", "v");
        await writer.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => writer.WriteEventAsync("k", "v"));

        await _store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _store.Streams.CreateScopeAsync("x"));
        Assert.Throws<ObjectDisposedException>(() => _store.CreateEventWriter("s", "t", Serializers.Utf8));
        await _store.DisposeAsync(); // idempotent
    }

    private static void AssertParam(string expected, ArgumentException e) => Assert.Equal(expected, e.ParamName);

    [Fact]
    public void A_transaction_timeout_under_one_second_is_out_of_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            _store.CreateEventWriter("s", "t", Serializers.Utf8, new EventWriterOptions { TransactionTimeout = TimeSpan.FromMilliseconds(999) }));
    }
}
