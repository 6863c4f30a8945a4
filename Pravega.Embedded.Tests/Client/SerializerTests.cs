using System.Buffers;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Pravega.Embedded.Tests.Client;

public sealed class SerializerTests
{
    public sealed record Order(string Id, int Quantity, IReadOnlyList<string> Tags, DateTimeOffset At);

    private static byte[] Serialize<T>(ISerializer<T> serializer, T value)
    {
        var output = new ArrayBufferWriter<byte>();
        serializer.Serialize(value, output);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public void BuiltInSerializersAreCachedSingletons()
    {
        Assert.Same(Serializers.Bytes, Serializers.Bytes);
        Assert.Same(Serializers.Utf8, Serializers.Utf8);
    }

    [Fact]
    public void BytesRoundTripAndCopy()
    {
        byte[] value = [1, 2, 3, 0, 255];

        byte[] written = Serialize(Serializers.Bytes, value);
        byte[] back = Serializers.Bytes.Deserialize(new ReadOnlySequence<byte>(written));

        Assert.Equal(value, written);
        Assert.Equal(value, back);
        Assert.NotSame(written, back);
    }

    [Fact]
    public void BytesReadFromSeveralSegments()
    {
        byte[] value = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();

        Assert.Equal(value, Serializers.Bytes.Deserialize(TestSequences.Split(value, 7)));
    }

    [Fact]
    public void EmptyBytesRoundTrip() =>
        Assert.Empty(Serializers.Bytes.Deserialize(new ReadOnlySequence<byte>(Serialize(Serializers.Bytes, []))));

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("héllo wörld € 𝄞 日本語")]
    public void Utf8RoundTrips(string value)
    {
        byte[] written = Serialize(Serializers.Utf8, value);

        Assert.Equal(Encoding.UTF8.GetBytes(value), written);
        Assert.Equal(value, Serializers.Utf8.Deserialize(new ReadOnlySequence<byte>(written)));
    }

    [Fact]
    public void Utf8ReadsFromSeveralSegmentsSplittingCharacters()
    {
        string value = string.Concat(Enumerable.Repeat("a€𝄞日", 100));
        byte[] written = Serialize(Serializers.Utf8, value);

        // Chunks of 5 bytes cut multi-byte characters in two.
        Assert.Equal(value, Serializers.Utf8.Deserialize(TestSequences.Split(written, 5)));
    }

    [Fact]
    public void Utf8WritesLargeStringsInChunks()
    {
        string value = new string('€', 100_000);

        byte[] written = Serialize(Serializers.Utf8, value);

        Assert.Equal(300_000, written.Length);
        Assert.Equal(value, Serializers.Utf8.Deserialize(TestSequences.Split(written, 4096)));
    }

    [Fact]
    public void SerializersRejectNull()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentNullException>(() => Serializers.Utf8.Serialize(null!, output));
        Assert.Throws<ArgumentNullException>(() => Serializers.Bytes.Serialize(null!, output));
        Assert.Throws<ArgumentNullException>(() => Serializers.Utf8.Serialize("x", null!));
    }

    [Fact]
    public void JsonRoundTripsARecord()
    {
        ISerializer<Order> serializer = Serializers.Json<Order>();
        var order = new Order("o-1", 3, ["red", "big"], new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero));

        byte[] written = Serialize(serializer, order);
        Order back = serializer.Deserialize(TestSequences.Split(written, 3));

        Assert.Equal(order.Id, back.Id);
        Assert.Equal(order.Quantity, back.Quantity);
        Assert.Equal(order.Tags, back.Tags);
        Assert.Equal(order.At, back.At);
        Assert.StartsWith("{\"Id\":\"o-1\"", Encoding.UTF8.GetString(written), StringComparison.Ordinal);
    }

    [Fact]
    public void JsonHonoursItsOptions()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };
        ISerializer<Order> serializer = Serializers.Json<Order>(options);
        var order = new Order("o-2", 1, [], DateTimeOffset.UnixEpoch);

        string json = Encoding.UTF8.GetString(Serialize(serializer, order));

        Assert.Contains("\"quantity\": 1", json, StringComparison.Ordinal);
        Assert.Contains('\n', json);
        Assert.Equal(order.Id, serializer.Deserialize(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json))).Id);
    }

    [Fact]
    public void JsonRoundTripsPrimitives()
    {
        ISerializer<int> serializer = Serializers.Json<int>();

        Assert.Equal(42, serializer.Deserialize(new ReadOnlySequence<byte>(Serialize(serializer, 42))));
    }

    [Fact]
    public void JsonRejectsMalformedInput() =>
        Assert.ThrowsAny<JsonException>(() => Serializers.Json<Order>().Deserialize(new ReadOnlySequence<byte>("{\"Id\":"u8.ToArray())));
}
