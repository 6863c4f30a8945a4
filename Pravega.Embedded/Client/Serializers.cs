using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Pravega.Embedded;

/// <summary>The built-in <see cref="ISerializer{T}"/> implementations. Every instance is thread-safe.</summary>
public static class Serializers
{
    /// <summary>
    /// Raw bytes, unchanged. Serializing writes the array's content (the array itself is not kept); deserializing
    /// returns a new array holding a copy of the bytes.
    /// </summary>
    public static ISerializer<byte[]> Bytes { get; } = new BytesSerializer();

    /// <summary>
    /// Strings as UTF-8 without a byte order mark (<see cref="Encoding.UTF8"/>): invalid UTF-16 (lone surrogates) is
    /// written, and invalid UTF-8 is read, as U+FFFD, as <see cref="Encoding.UTF8"/> does.
    /// </summary>
    public static ISerializer<string> Utf8 { get; } = new Utf8Serializer();

    /// <summary>
    /// JSON through System.Text.Json, with <paramref name="options"/> (<see cref="JsonSerializerOptions.Default"/> when
    /// null). The contract of <typeparamref name="T"/> is resolved once, here, so <paramref name="options"/> becomes
    /// read-only, as on its first use by <see cref="JsonSerializer"/>. Deserializing JSON <c>null</c> gives <c>default</c>.
    /// </summary>
    /// <typeparam name="T">The type serialized.</typeparam>
    /// <param name="options">Serializer options, or null for the defaults.</param>
    /// <returns>A serializer of <typeparamref name="T"/>.</returns>
    /// <remarks>Reflection-based; for trimmed or native AOT applications use <see cref="Json{T}(JsonTypeInfo{T})"/>.</remarks>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need members removed by trimming. Use Json<T>(JsonTypeInfo<T>) with a source-generated context instead.")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation. Use Json<T>(JsonTypeInfo<T>) with a source-generated context instead.")]
    public static ISerializer<T> Json<T>(JsonSerializerOptions? options = null)
    {
        options ??= JsonSerializerOptions.Default;
        if (!options.IsReadOnly)
        {
            options.MakeReadOnly(populateMissingResolver: true);
        }

        return new JsonSerializer<T>((JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)));
    }

    /// <summary>
    /// JSON through System.Text.Json with a given type contract, typically from a source-generated
    /// <see cref="System.Text.Json.Serialization.JsonSerializerContext"/>: safe for trimming and native AOT.
    /// Deserializing JSON <c>null</c> gives <c>default</c>.
    /// </summary>
    /// <typeparam name="T">The type serialized.</typeparam>
    /// <param name="typeInfo">The contract of <typeparamref name="T"/>.</param>
    /// <returns>A serializer of <typeparamref name="T"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="typeInfo"/> is null.</exception>
    public static ISerializer<T> Json<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new JsonSerializer<T>(typeInfo);
    }

    private sealed class BytesSerializer : ISerializer<byte[]>
    {
        public void Serialize(byte[] value, IBufferWriter<byte> output)
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentNullException.ThrowIfNull(output);
            output.Write(value);
        }

        public byte[] Deserialize(ReadOnlySequence<byte> bytes)
        {
            // Every byte is overwritten at once: no need to pay for zeroing (catch-up reads of large events, BENCHMARKS.md).
            var array = GC.AllocateUninitializedArray<byte>(checked((int)bytes.Length));
            bytes.CopyTo(array);
            return array;
        }
    }

    private sealed class Utf8Serializer : ISerializer<string>
    {
        // Up to this many chars, ask the writer for the worst case at once and encode in one pass;
        // above, encode in chunks rather than demand a buffer three times the string's length.
        private const int SinglePassMaxChars = 16 * 1024;

        public void Serialize(string value, IBufferWriter<byte> output)
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentNullException.ThrowIfNull(output);
            if (value.Length <= SinglePassMaxChars)
            {
                Span<byte> span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
                output.Advance(Encoding.UTF8.GetBytes(value, span));
            }
            else
            {
                Encoding.UTF8.GetBytes(value.AsSpan(), output);
            }
        }

        public string Deserialize(ReadOnlySequence<byte> bytes) =>
            bytes.IsSingleSegment ? Encoding.UTF8.GetString(bytes.FirstSpan) : Encoding.UTF8.GetString(bytes);
    }

    private sealed class JsonSerializer<T> : ISerializer<T>
    {
        private readonly JsonTypeInfo<T> _typeInfo;
        private readonly JsonWriterOptions _writerOptions;
        private readonly JsonReaderOptions _readerOptions;

        public JsonSerializer(JsonTypeInfo<T> typeInfo)
        {
            _typeInfo = typeInfo;

            // The serializer honours these options only through the writer and reader it is given.
            JsonSerializerOptions options = typeInfo.Options;
            _writerOptions = new JsonWriterOptions
            {
                Encoder = options.Encoder,
                Indented = options.WriteIndented,
                IndentCharacter = options.IndentCharacter,
                IndentSize = options.IndentSize,
                NewLine = options.NewLine,
                MaxDepth = options.MaxDepth,
            };
            _readerOptions = new JsonReaderOptions
            {
                AllowTrailingCommas = options.AllowTrailingCommas,
                CommentHandling = options.ReadCommentHandling,
                MaxDepth = options.MaxDepth,
            };
        }

        public void Serialize(T value, IBufferWriter<byte> output)
        {
            ArgumentNullException.ThrowIfNull(output);
            using var writer = new Utf8JsonWriter(output, _writerOptions);
            JsonSerializer.Serialize(writer, value, _typeInfo);
            writer.Flush();
        }

        public T Deserialize(ReadOnlySequence<byte> bytes)
        {
            var reader = new Utf8JsonReader(bytes, _readerOptions);
            return JsonSerializer.Deserialize(ref reader, _typeInfo)!;
        }
    }
}
