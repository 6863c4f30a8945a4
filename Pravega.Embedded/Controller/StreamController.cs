using Pravega.Embedded.SegmentStore;

namespace Pravega.Embedded.Controller;

/// <summary>
/// The controller: scopes, streams, their segments and reader groups. Every change is validated and written as a
/// metadata record of the container under the container lock, applied at once, and acknowledged when durable;
/// replay applies the same records in the same order, so the state after reopen is the state acknowledged. Every
/// answer about this state waits until the records it may depend on are durable (<see cref="Run{T}"/>).
/// </summary>
internal sealed partial class StreamController : IMetadataLog
{
    private readonly Dictionary<string, ScopeState> _scopes = new(StringComparer.Ordinal);
    private SegmentContainer _container = null!;
    private readonly Dictionary<long, StreamState> _streamsById = [];
    private long _nextStreamId = 1;

    /// <summary>Attaches the container (once, before it is used).</summary>
    public void Attach(SegmentContainer container) => _container = container;

    private object Lock => _container.Lock;

    // ---- scopes ----

    public Task<bool> CreateScopeAsync(string scope, CancellationToken ct) => Run(() =>
    {
        if (_scopes.ContainsKey(scope)) return false;
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.CreateScope, w => w.Write(scope)));
        return true;
    }, ct);

    public Task<bool> DeleteScopeAsync(string scope, CancellationToken ct) => Run(() =>
    {
        if (!_scopes.TryGetValue(scope, out var s)) return false;
        int streams = s.Streams.Keys.Count(n => !IsInternal(n));
        if (streams > 0)
            throw new InvalidOperationException($"Scope '{scope}' still holds {streams} stream(s); delete them first.");
        int tables = s.Streams.Keys.Count(n => n.StartsWith("_kvt-", StringComparison.Ordinal));
        if (tables > 0)
            throw new InvalidOperationException($"Scope '{scope}' still holds {tables} key-value table(s); delete them first.");
        // As Pravega, only an empty scope goes: a group left behind would name a scope that no longer exists.
        if (s.ReaderGroups.Count > 0)
            throw new InvalidOperationException($"Scope '{scope}' still holds {s.ReaderGroups.Count} reader group(s); delete them first.");
        // Internal streams (state synchronizers') go with the scope: sealed and deleted, each by its records, first.
        foreach (var internalStream in s.Streams.Values.ToList())
        {
            if (!internalStream.IsSealed) _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.SealStream, w => w.Write(internalStream.Id)));
            _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.DeleteStream, w => w.Write(internalStream.Id)));
        }
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.DeleteScope, w => w.Write(scope)));
        return true;
    }, ct);

    public Task<IReadOnlyList<string>> ListScopesAsync(CancellationToken ct) =>
        Run<IReadOnlyList<string>>(() => [.. _scopes.Keys.Order(StringComparer.Ordinal)], ct);

    // ---- streams ----

    public Task<bool> CreateStreamAsync(string scope, string stream, StreamConfiguration config, CancellationToken ct) => Run(() =>
    {
        if (RequireScope(scope).Streams.ContainsKey(stream)) return false;
        long id = _nextStreamId;
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.CreateStream, w =>
        {
            w.Write(scope);
            w.Write(stream);
            w.Write(id);
            MetadataCodec.Write(w, config);
        }));
        return true;
    }, ct);

    public Task UpdateStreamAsync(string scope, string stream, StreamConfiguration config, CancellationToken ct) => Run(() =>
    {
        var s = RequireStream(scope, stream);
        if (s.IsSealed) throw new StreamSealedException($"Stream {s} is sealed and cannot be updated.");
        if (RescaleFor(s, config) is { } ranges)
        {
            // One record: the new policy and the scale it asks for are durable together, or neither is.
            _container.AppendMetadata(MetadataCodec.Encode(UpdateAndScaleStreamRecord, w =>
            {
                w.Write(s.Id);
                MetadataCodec.Write(w, config);
                WriteScale(w, s.ActiveSegments, ranges);
            }));
            return true;
        }
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.UpdateStream, w =>
        {
            w.Write(s.Id);
            MetadataCodec.Write(w, config);
        }));
        return true;
    }, ct);

    public Task SealStreamAsync(string scope, string stream, CancellationToken ct) => Run(() =>
    {
        var s = RequireStream(scope, stream);
        // Sealing twice is not an error, as in Pravega; it completes once the first seal is durable.
        if (!s.IsSealed) _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.SealStream, w => w.Write(s.Id)));
        return true;
    }, ct);

    public Task<bool> DeleteStreamAsync(string scope, string stream, CancellationToken ct) => Run(() =>
    {
        if (!_scopes.TryGetValue(scope, out var sc) || !sc.Streams.TryGetValue(stream, out var s)) return false;
        if (!s.IsSealed) throw new InvalidOperationException($"Stream {s} must be sealed before it is deleted.");
        _container.AppendMetadata(MetadataCodec.Encode(MetadataRecordType.DeleteStream, w => w.Write(s.Id)));
        return true;
    }, ct);

    public Task<IReadOnlyList<string>> ListStreamsAsync(string scope, CancellationToken ct) =>
        Run<IReadOnlyList<string>>(() => [.. RequireScope(scope).Streams.Keys.Where(n => !IsInternal(n)).Order(StringComparer.Ordinal)], ct);

    /// <summary>The internal streams of a scope (state synchronizers', key-value tables'), ordered by name.</summary>
    public Task<IReadOnlyList<string>> ListInternalStreamsAsync(string scope, CancellationToken ct) =>
        Run<IReadOnlyList<string>>(() => [.. RequireScope(scope).Streams.Keys.Where(IsInternal).Order(StringComparer.Ordinal)], ct);

    /// <summary>
    /// Internal streams (a state synchronizer's, a key-value table's) start with <c>_</c>, which no user name may (API.md): they
    /// are never listed, and go with their scope.
    /// </summary>
    public static bool IsInternal(string stream) => stream.StartsWith('_');

    /// <summary>
    /// The stream, or <see cref="ScopeNotFoundException"/> / <see cref="StreamNotFoundException"/>, as accepted: a
    /// caller that reports what it found first waits for <see cref="WhenObservedDurableAsync"/>.
    /// </summary>
    public StreamState GetStream(string scope, string stream)
    {
        lock (Lock) return RequireStream(scope, stream);
    }

    // ---- accepted and durable state ----

    /// <summary>
    /// Runs a change or a read of controller state under the container lock, and completes, with its result or its
    /// exception, only once every metadata record accepted by then (its own included) is durable.
    /// </summary>
    /// <remarks>
    /// Records are applied when accepted, so that the next change is validated against them (segments keep accepted
    /// and durable state apart for the same reason). What a caller is told must survive a crash, so no answer that
    /// may depend on a record leaves before that record is durable: a second <c>CreateScopeAsync</c> does not answer
    /// "exists", nor a list show a scope, before the first creation is durable.
    /// </remarks>
    private Task<T> Run<T>(Func<T> underLock, CancellationToken ct)
    {
        T result = default!;
        Exception? error = null;
        long lsn;
        lock (Lock)
        {
            try
            {
                result = underLock();
            }
#pragma warning disable CA1031 // the exception is the caller's answer: it goes into the returned task
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
            }
            lsn = _container.LastMetadataLsn;
        }
        if (lsn <= _container.Log.DurableLsn) return error is null ? Task.FromResult(result) : Task.FromException<T>(error);
        return AfterDurableAsync(WhenDurable(lsn, ct), result, error);
    }

    /// <summary>
    /// <paramref name="result"/>, or <paramref name="error"/> thrown, once <paramref name="durable"/> completed (its own
    /// failure, the log's, wins): how every answer about metadata waits for what it depends on.
    /// </summary>
    internal static async Task<T> AfterDurableAsync<T>(Task durable, T result, Exception? error)
    {
        await durable.ConfigureAwait(false);
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return result;
    }

    /// <summary>
    /// Completes once every metadata record accepted so far is durable: a caller that read controller state (or got
    /// an exception from it) outside <see cref="Run{T}"/> waits for this before it reports what it found.
    /// </summary>
    public Task WhenObservedDurableAsync(CancellationToken ct)
    {
        long lsn;
        lock (Lock) lsn = _container.LastMetadataLsn;
        return WhenDurable(lsn, ct);
    }

    // ---- applying records (under the container lock, when written and on replay) ----

    public void Apply(ReadOnlySpan<byte> record, SegmentContainer container)
    {
        _container = container;
        using var r = new BinaryReader(new MemoryStream(record.ToArray()));
        try
        {
            ApplyRecord(r, container);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException)
        {
            throw new StorageCorruptedException("A controller metadata record in the WAL is malformed.", e);
        }
    }

    private void ApplyRecord(BinaryReader r, SegmentContainer container)
    {
        switch ((MetadataRecordType)r.ReadByte())
        {
            case MetadataRecordType.CreateScope:
                string created = r.ReadString();
                _scopes.Add(created, new ScopeState(created));
                break;
            case MetadataRecordType.DeleteScope:
                _scopes.Remove(r.ReadString());
                break;
            case MetadataRecordType.CreateStream:
            {
                string scope = r.ReadString(), name = r.ReadString();
                long id = r.ReadInt64();
                var config = MetadataCodec.ReadStreamConfiguration(r);
                var stream = new StreamState(scope, name, id, config);
                var ranges = KeySpace.Split(config.ScalingPolicy.MinSegments);
                var segments = new StreamSegment[ranges.Length];
                for (int i = 0; i < ranges.Length; i++)
                {
                    long segmentId = SegmentKey.ComputeSegmentId(0, i);
                    segments[i] = new StreamSegment(segmentId, ranges[i], container.CreateSegment(id, segmentId, scope, name));
                }
                stream.Restore(epoch: 0, nextSegmentNumber: ranges.Length, segments, segments, segments);
                AddStream(stream);
                break;
            }
            case StreamSegmentsRecord:
                AddStream(ApplyStreamSegments(r));
                break;
            case var type when IsScaleRecord(type):
                ApplyScaleRecord(type, r);
                break;
            case MetadataRecordType.UpdateStream:
            {
                ApplyConfig(StreamById(r.ReadInt64()), MetadataCodec.ReadStreamConfiguration(r));
                break;
            }
            case MetadataRecordType.SealStream:
            {
                var stream = StreamById(r.ReadInt64());
                stream.IsSealed = true;
                foreach (var s in stream.ActiveSegments) container.SealSegment(s.Data, container.CurrentLsn);
                container.AbortTransactionsOf(stream.Id); // as Pravega's seal: open transactions can commit nowhere now
                break;
            }
            case MetadataRecordType.DeleteStream:
            {
                var stream = StreamById(r.ReadInt64());
                stream.IsDeleted = true;
                foreach (var s in stream.AllSegments) container.DeleteSegment(s.Data);
                container.DeleteWriters(stream.Id);
                container.ForgetTransactionsOf(stream.Id);
                ForgetRetentionCuts(stream);
                _scopes[stream.Scope].Streams.Remove(stream.Name);
                _streamsById.Remove(stream.Id);
                foreach (var s in stream.AllSegments) s.Data.Signal.Signal(); // waiting readers find it gone
                break;
            }
            case MetadataRecordType.TruncateStream:
                ApplyTruncation(r);
                break;
            case TruncateToCutRecord:
                ApplyTruncationToCut(r);
                break;
            case MetadataRecordType.RetentionCut:
                ApplyRetentionCut(r);
                break;
            case var type when IsReaderGroupRecord(type):
                ApplyReaderGroupRecord(type, r);
                break;
            case var type when IsCheckpointRecord(type):
                ApplyCheckpointRecord(type, r);
                break;
            default:
                throw new InvalidDataException("Unknown controller record type.");
        }
    }

    /// <summary>Every stream that exists (container lock).</summary>
    public IEnumerable<StreamState> LiveStreams => _streamsById.Values;

    private void AddStream(StreamState stream)
    {
        _scopes[stream.Scope].Streams.Add(stream.Name, stream);
        _streamsById.Add(stream.Id, stream);
        _nextStreamId = Math.Max(_nextStreamId, stream.Id + 1);
    }

    private void ApplyConfig(StreamState stream, StreamConfiguration config)
    {
        stream.Config = config;
        if (config.RetentionPolicy?.Kind != RetentionPolicyKind.Time) ForgetRetentionCuts(stream);
    }

    internal StreamState StreamById(long id) =>
        _streamsById.TryGetValue(id, out var stream) ? stream : throw new InvalidDataException($"No stream has id {id}.");

    internal ScopeState RequireScope(string scope) =>
        _scopes.TryGetValue(scope, out var s) ? s : throw new ScopeNotFoundException($"Scope '{scope}' does not exist.");

    internal StreamState RequireStream(string scope, string stream) =>
        RequireScope(scope).Streams.TryGetValue(stream, out var s)
            ? s
            : throw new StreamNotFoundException($"Stream '{stream}' does not exist in scope '{scope}'.");

    internal Task WhenDurable(long lsn, CancellationToken ct) => _container.Log.WhenDurableAsync(lsn, ct);
}
