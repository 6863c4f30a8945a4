using System.Diagnostics.CodeAnalysis;

namespace Pravega.Embedded;

/// <summary>
/// A Pravega store: the entry point to streams, reader groups, key-value tables, batch reads, byte streams and state
/// synchronizers. Implemented in process by <see cref="StreamStore"/> and over the wire protocol by
/// <see cref="RemoteStreamStore"/>, with the same behaviour and exceptions.
/// </summary>
/// <remarks>
/// Every member is safe to call from many threads at once. The synchronous factories validate names and ids at once
/// (<see cref="ArgumentException"/> whose ParamName is the parameter's name); whether the stream or group exists is
/// reported by the first asynchronous call of the object they return. After <see cref="IAsyncDisposable.DisposeAsync"/>,
/// every member, and every object obtained from the store, throws <see cref="ObjectDisposedException"/>. Disposing
/// flushes and releases everything (files, locks, timers).
/// </remarks>
public interface IStreamStore : IAsyncDisposable
{
    /// <summary>Scopes and streams: creation, configuration, sealing, truncation, scaling, listing.</summary>
    IStreamManager Streams { get; }

    /// <summary>Reader groups: creation, lookup, deletion.</summary>
    IReaderGroupManager ReaderGroups { get; }

    /// <summary>Key-value tables: creation, deletion, listing.</summary>
    IKeyValueTableManager KeyValueTables { get; }

    /// <summary>Direct, unordered reads of segment ranges (bulk processing).</summary>
    IBatchClient Batch { get; }

    /// <summary>
    /// Creates a writer of events to <paramref name="scope"/>/<paramref name="stream"/>. Its first asynchronous call
    /// reports a missing scope or stream (<see cref="ScopeNotFoundException"/>, <see cref="StreamNotFoundException"/>).
    /// </summary>
    /// <typeparam name="T">Type of the events.</typeparam>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="serializer">Turns events into bytes.</param>
    /// <param name="options">Writer options, or null for the defaults (a new random writer id).</param>
    /// <returns>The writer; dispose it to flush and release it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="serializer"/> or a name is null.</exception>
    /// <exception cref="ArgumentException">A name or the writer id is invalid.</exception>
    IEventStreamWriter<T> CreateEventWriter<T>(string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options = null);

    /// <summary>
    /// Creates a writer of transactions to <paramref name="scope"/>/<paramref name="stream"/>. Its first asynchronous
    /// call reports a missing scope or stream.
    /// </summary>
    /// <typeparam name="T">Type of the events.</typeparam>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <param name="serializer">Turns events into bytes.</param>
    /// <param name="options">Writer options (transaction timeout), or null for the defaults.</param>
    /// <returns>The transactional writer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="serializer"/> or a name is null.</exception>
    /// <exception cref="ArgumentException">A name or the writer id is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The transaction timeout is under 1 s.</exception>
    ITransactionalEventStreamWriter<T> CreateTransactionalWriter<T>(string scope, string stream, ISerializer<T> serializer, EventWriterOptions? options = null);

    /// <summary>
    /// Creates reader <paramref name="readerId"/> of group <paramref name="readerGroup"/>; it comes online in its group
    /// with its first read, and goes offline gracefully (at its position) when disposed. The first read reports a
    /// missing scope or group (<see cref="ScopeNotFoundException"/>, <see cref="ReaderGroupNotFoundException"/>) and
    /// a reader id already online in the group (<see cref="InvalidOperationException"/>).
    /// </summary>
    /// <typeparam name="T">Type of the events.</typeparam>
    /// <param name="readerId">The reader's id, unique within the group.</param>
    /// <param name="scope">Scope of the reader group.</param>
    /// <param name="readerGroup">Name of the reader group.</param>
    /// <param name="serializer">Turns bytes back into events.</param>
    /// <param name="options">Reader options, or null for the defaults.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="serializer"/>, a name or the id is null.</exception>
    /// <exception cref="ArgumentException">A name or the reader id is invalid.</exception>
    IEventStreamReader<T> CreateReader<T>(string readerId, string scope, string readerGroup, ISerializer<T> serializer, ReaderOptions? options = null);

    /// <summary>Reads again the single event <paramref name="pointer"/> points at.</summary>
    /// <typeparam name="T">Type of the event.</typeparam>
    /// <param name="pointer">From <see cref="EventRead{T}.EventPointer"/> (possibly through its base64 form).</param>
    /// <param name="serializer">Turns bytes back into the event.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>The event.</returns>
    /// <exception cref="TruncatedDataException">The event was removed by truncation or retention.</exception>
    /// <exception cref="StreamNotFoundException">The stream no longer exists.</exception>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Parameter name fixed by the public API contract (API.md); callers may pass it by name.")]
    Task<T> FetchEventAsync<T>(EventPointer pointer, ISerializer<T> serializer, CancellationToken ct = default);

    /// <summary>
    /// Creates a byte-stream writer: the stream is used as one sequence of bytes (large data: video, files). The
    /// stream must exist with <c>ScalingPolicy.Fixed(1)</c>; its first write or flush reports otherwise
    /// (<see cref="StreamNotFoundException"/>, <see cref="InvalidOperationException"/>).
    /// </summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <returns>A write-only <see cref="System.IO.Stream"/> appending at the stream's tail.</returns>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    ByteStreamWriter CreateByteStreamWriter(string scope, string stream);

    /// <summary>Creates a byte-stream reader positioned at the stream's head; see <see cref="ByteStreamReader"/>.</summary>
    /// <param name="scope">Scope of the stream.</param>
    /// <param name="stream">Name of the stream.</param>
    /// <returns>A read-only, seekable <see cref="System.IO.Stream"/>.</returns>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    ByteStreamReader CreateByteStreamReader(string scope, string stream);

    /// <summary>
    /// Opens the state synchronizer <paramref name="name"/>: a replicated state kept consistent through an internal
    /// stream of updates, created if absent (the scope must exist). Its state is uninitialized
    /// (<see cref="IStateSynchronizer{TState, TUpdate}.Revision"/> -1) until fetched or initialized.
    /// </summary>
    /// <typeparam name="TState">Type of the state.</typeparam>
    /// <typeparam name="TUpdate">Type of the updates.</typeparam>
    /// <param name="scope">Scope of the synchronizer.</param>
    /// <param name="name">Name of the synchronizer.</param>
    /// <param name="stateSerializer">Serializes snapshots of the state (initial state and compaction).</param>
    /// <param name="updateSerializer">Serializes updates.</param>
    /// <param name="apply">Applies an update to a state, giving the new state; must be deterministic and free of side effects.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The synchronizer; dispose it to release it.</returns>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    Task<IStateSynchronizer<TState, TUpdate>> CreateStateSynchronizerAsync<TState, TUpdate>(
        string scope, string name, ISerializer<TState> stateSerializer, ISerializer<TUpdate> updateSerializer,
        Func<TState, TUpdate, TState> apply, CancellationToken ct = default);

    /// <summary>Opens an existing key-value table.</summary>
    /// <typeparam name="TKey">Type of the keys; their serialized bytes are their identity.</typeparam>
    /// <typeparam name="TValue">Type of the values.</typeparam>
    /// <param name="scope">Scope of the table.</param>
    /// <param name="table">Name of the table.</param>
    /// <param name="keySerializer">Serializes keys, deterministically.</param>
    /// <param name="valueSerializer">Serializes values.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>The table; dispose it to release it.</returns>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    Task<IKeyValueTable<TKey, TValue>> OpenKeyValueTableAsync<TKey, TValue>(
        string scope, string table, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer, CancellationToken ct = default);
}
