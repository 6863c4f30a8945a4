using System.Buffers;

namespace Pravega.Embedded;

/// <summary>
/// Converts events, keys, values and states to and from bytes. Implementations must be thread-safe (one instance
/// serves every writer and reader it is given to) and deterministic for keys of key-value tables, whose identity is
/// their serialized bytes. <see cref="Serializers"/> holds the built-in ones.
/// </summary>
/// <typeparam name="T">The type serialized.</typeparam>
public interface ISerializer<T>
{
    /// <summary>
    /// Writes <paramref name="value"/> into <paramref name="output"/>. Events above 8 MiB (8,388,608 bytes) once
    /// serialized are rejected by writers with <see cref="ArgumentException"/>, and nothing is written.
    /// </summary>
    /// <param name="value">The value to write.</param>
    /// <param name="output">Where the bytes go; only the bytes advanced over are taken.</param>
    void Serialize(T value, IBufferWriter<byte> output);

    /// <summary>
    /// Reads a value back from exactly the bytes that <see cref="Serialize"/> wrote. The sequence may consist of
    /// several segments, and is only valid during the call: copy what must outlive it. It points into the store's
    /// memory-mapped log, so a deserializer that parses in place (or copies into a buffer it reuses) reads at the speed
    /// of the page cache; a new array per event is what costs most in catch-up reads of large events.
    /// </summary>
    /// <param name="bytes">The serialized value.</param>
    /// <returns>The value.</returns>
    T Deserialize(ReadOnlySequence<byte> bytes);
}
