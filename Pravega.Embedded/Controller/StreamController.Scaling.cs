namespace Pravega.Embedded.Controller;

/// <summary>
/// Scaling: a scale seals some active segments and creates segments of the next epoch whose ranges cover exactly the
/// sealed ranges, in one <see cref="ScaleStreamRecord"/> (docs/FORMAT.md, "ScaleStream"); each new segment is linked to
/// the sealed segments its range overlaps, so that readers read a successor only after its predecessors and writers'
/// appends move to the successors at once (the seal is in the container, where the append is checked).
/// </summary>
internal sealed partial class StreamController
{
    /// <summary>Seals segments and creates the next epoch's segments over their ranges.</summary>
    private const MetadataRecordType ScaleStreamRecord = (MetadataRecordType)40;

    /// <summary>A configuration change that also rescales the stream (to the count a fixed policy or a new minimum asks).</summary>
    private const MetadataRecordType UpdateAndScaleStreamRecord = (MetadataRecordType)41;

    /// <summary>A stream with its whole scale history (checkpoints only).</summary>
    private const MetadataRecordType StreamSegmentsRecord = (MetadataRecordType)34;

    /// <summary>Called under the container lock after a scale was applied (not on replay): the auto-scaler's view.</summary>
    public Action<StreamState, IReadOnlyList<StreamSegment>, IReadOnlyList<StreamSegment>>? Scaled { get; set; }

    /// <summary>
    /// Seals <paramref name="segmentsToSeal"/> and creates segments over <paramref name="newRanges"/> in the next
    /// epoch; completes when the scale is durable.
    /// </summary>
    /// <exception cref="StreamSealedException">The stream is sealed.</exception>
    /// <exception cref="ArgumentException">A segment is not active, or the new ranges do not exactly cover the sealed ones.</exception>
    public Task ScaleStreamAsync(string scope, string stream, IReadOnlyList<long> segmentsToSeal, IReadOnlyList<KeyRange> newRanges, CancellationToken ct) => Run(() =>
    {
        var s = RequireStream(scope, stream);
        if (s.IsSealed) throw new StreamSealedException($"Stream {s} is sealed and cannot be scaled.");
        var sealing = ValidateScale(s, segmentsToSeal, newRanges);
        AppendScale(s, sealing, newRanges);
        return true;
    }, ct);

    /// <summary>
    /// Scales <paramref name="stream"/> if it is still as the caller saw it (container lock): every segment of
    /// <paramref name="sealing"/> active, the stream not sealed. The auto-scaler's way in; false when nothing was done.
    /// </summary>
    public bool TryScale(StreamState stream, IReadOnlyList<StreamSegment> sealing, IReadOnlyList<KeyRange> newRanges)
    {
        if (stream.IsSealed || stream.IsDeleted) return false;
        foreach (var s in sealing)
            if (!stream.ActiveSegments.Contains(s)) return false;
        AppendScale(stream, sealing, newRanges);
        return true;
    }

    /// <summary>The segments to seal, checked as API.md says (container lock); <see cref="ArgumentException"/> otherwise.</summary>
    private static List<StreamSegment> ValidateScale(StreamState stream, IReadOnlyList<long> segmentsToSeal, IReadOnlyList<KeyRange> newRanges)
    {
        ArgumentNullException.ThrowIfNull(segmentsToSeal);
        ArgumentNullException.ThrowIfNull(newRanges);
        if (segmentsToSeal.Count == 0) throw new ArgumentException("A scale seals at least one segment.", nameof(segmentsToSeal));
        if (newRanges.Count == 0) throw new ArgumentException("A scale creates at least one segment.", nameof(newRanges));
        var sealing = new List<StreamSegment>(segmentsToSeal.Count);
        foreach (long id in segmentsToSeal)
        {
            var segment = stream.ActiveSegments.FirstOrDefault(s => s.SegmentId == id)
                ?? throw new ArgumentException($"Segment {id} is not an active segment of stream {stream}.", nameof(segmentsToSeal));
            if (sealing.Contains(segment)) throw new ArgumentException($"Segment {id} is named twice.", nameof(segmentsToSeal));
            sealing.Add(segment);
        }
        foreach (var r in newRanges)
        {
            if (!(r.Low >= 0 && r.Low < r.High && r.High <= 1))
                throw new ArgumentException($"The range [{r.Low}, {r.High}) is not a non-empty range within [0, 1).", nameof(newRanges));
        }
        var created = newRanges.OrderBy(r => r.Low).ToList();
        for (int i = 1; i < created.Count; i++)
        {
            if (created[i].Low < created[i - 1].High)
                throw new ArgumentException($"The new ranges overlap at {created[i].Low}.", nameof(newRanges));
        }
        var sealedUnion = Union(sealing.Select(s => s.Range));
        var createdUnion = Union(created);
        if (!sealedUnion.SequenceEqual(createdUnion))
            throw new ArgumentException(
                $"The new ranges cover {Describe(createdUnion)} of the key space, the sealed segments {Describe(sealedUnion)}: they must cover exactly the same.",
                nameof(newRanges));
        return sealing;

        static string Describe(List<KeyRange> ranges) => string.Join(" ", ranges.Select(r => $"[{r.Low}, {r.High})"));
    }

    /// <summary>The ranges merged where they touch or overlap, in key order.</summary>
    private static List<KeyRange> Union(IEnumerable<KeyRange> ranges)
    {
        var merged = new List<KeyRange>();
        foreach (var r in ranges.OrderBy(r => r.Low))
        {
            if (merged.Count > 0 && r.Low <= merged[^1].High) merged[^1] = merged[^1] with { High = Math.Max(merged[^1].High, r.High) };
            else merged.Add(r);
        }
        return merged;
    }

    private long AppendScale(StreamState stream, IReadOnlyList<StreamSegment> sealing, IReadOnlyList<KeyRange> newRanges) =>
        _container.AppendMetadata(MetadataCodec.Encode(ScaleStreamRecord, w =>
        {
            w.Write(stream.Id);
            WriteScale(w, sealing, newRanges);
        }));

    private static void WriteScale(BinaryWriter w, IReadOnlyList<StreamSegment> sealing, IReadOnlyList<KeyRange> newRanges)
    {
        w.Write(sealing.Count);
        foreach (var s in sealing) w.Write(s.SegmentId);
        w.Write(newRanges.Count);
        foreach (var r in newRanges.OrderBy(r => r.Low))
        {
            w.Write(r.Low);
            w.Write(r.High);
        }
    }

    /// <summary>
    /// The scale a configuration asks for (container lock): a fixed policy wants exactly its count of segments, a rate
    /// policy at least its minimum; the stream is then rescaled to that many equal ranges. Null: no scale needed.
    /// </summary>
    private static KeyRange[]? RescaleFor(StreamState stream, StreamConfiguration config)
    {
        var policy = config.ScalingPolicy;
        int count = stream.ActiveSegments.Count;
        int wanted = policy.Kind == ScalingPolicyKind.Fixed ? policy.MinSegments : Math.Max(count, policy.MinSegments);
        return wanted == count ? null : KeySpace.Split(wanted);
    }

    /// <summary>Applies a scale record's scale part (container lock; on replay too).</summary>
    private void ApplyScale(StreamState stream, BinaryReader r)
    {
        int sealedCount = r.ReadInt32();
        if (sealedCount <= 0) throw new InvalidDataException("A scale record seals no segment.");
        var sealing = new List<StreamSegment>(sealedCount);
        for (int i = 0; i < sealedCount; i++)
        {
            long id = r.ReadInt64();
            sealing.Add(stream.ActiveSegments.FirstOrDefault(s => s.SegmentId == id)
                ?? throw new InvalidDataException($"A scale record of stream {stream.Id} seals segment {id}, which is not active."));
        }
        int createdCount = r.ReadInt32();
        if (createdCount <= 0) throw new InvalidDataException("A scale record creates no segment.");
        var created = new List<StreamSegment>(createdCount);
        int epoch = stream.Epoch + 1;
        for (int i = 0; i < createdCount; i++)
        {
            var range = new KeyRange(r.ReadDouble(), r.ReadDouble());
            long id = SegmentKey.ComputeSegmentId(epoch, stream.NextSegmentNumber + i);
            created.Add(new StreamSegment(id, range, _container.CreateSegment(stream.Id, id, stream.Scope, stream.Name)));
        }
        foreach (var s in sealing) _container.SealSegment(s.Data, _container.CurrentLsn);
        stream.Scale(sealing, created);
        if (_container.CurrentLsn != 0) Scaled?.Invoke(stream, sealing, created);
    }

    private void ApplyScaleRecord(MetadataRecordType type, BinaryReader r)
    {
        var stream = StreamById(r.ReadInt64());
        if (type == UpdateAndScaleStreamRecord) ApplyConfig(stream, MetadataCodec.ReadStreamConfiguration(r));
        ApplyScale(stream, r);
    }

    private static bool IsScaleRecord(MetadataRecordType type) => type is ScaleStreamRecord or UpdateAndScaleStreamRecord;

    // ---- checkpoints ----

    /// <summary>A stream and all of its segments, with their links, which are active and which form the head.</summary>
    private static byte[] EncodeStreamSegments(StreamState stream) => MetadataCodec.Encode(StreamSegmentsRecord, w =>
    {
        w.Write(stream.Scope);
        w.Write(stream.Name);
        w.Write(stream.Id);
        MetadataCodec.Write(w, stream.Config);
        w.Write(stream.Epoch);
        w.Write(stream.NextSegmentNumber);
        var segments = stream.AllSegments.OrderBy(s => s.SegmentId).ToList(); // predecessors come first: older epochs
        w.Write(segments.Count);
        foreach (var s in segments)
        {
            w.Write(s.SegmentId);
            w.Write(s.Range.Low);
            w.Write(s.Range.High);
            w.Write((byte)((stream.ActiveSegments.Contains(s) ? 1 : 0) | (stream.HeadSegments.Contains(s) ? 2 : 0)));
            w.Write(s.Predecessors.Count);
            foreach (var p in s.Predecessors) w.Write(p.SegmentId);
        }
    });

    private StreamState ApplyStreamSegments(BinaryReader r)
    {
        string scope = r.ReadString(), name = r.ReadString();
        long id = r.ReadInt64();
        var stream = new StreamState(scope, name, id, MetadataCodec.ReadStreamConfiguration(r));
        int epoch = r.ReadInt32(), nextNumber = r.ReadInt32(), count = r.ReadInt32();
        var all = new Dictionary<long, StreamSegment>(count);
        List<StreamSegment> active = [], head = [];
        for (int i = 0; i < count; i++)
        {
            long segmentId = r.ReadInt64();
            var range = new KeyRange(r.ReadDouble(), r.ReadDouble());
            byte flags = r.ReadByte();
            var segment = new StreamSegment(segmentId, range, _container.CreateSegment(id, segmentId, scope, name));
            int predecessors = r.ReadInt32();
            for (int p = 0; p < predecessors; p++)
            {
                all.TryGetValue(r.ReadInt64(), out var predecessor);
                (predecessor ?? throw new InvalidDataException($"Segment {segmentId} of stream {id} names an unknown predecessor.")).Precede(segment);
            }
            all.Add(segmentId, segment);
            if ((flags & 1) != 0) active.Add(segment);
            else _container.SealSegment(segment.Data, 0);
            if ((flags & 2) != 0) head.Add(segment);
        }
        stream.Restore(epoch, nextNumber, all.Values, active, head);
        return stream;
    }
}
