namespace Pravega.Embedded.Controller;

/// <summary>One segment of a reader group: where the group is in it, where it stops, and whether it is read to the end.</summary>
internal readonly record struct SegmentPosition(SegmentKey Key, long Offset, long EndOffset, bool Finished);

/// <summary>
/// A reader group's durable state: the position of every segment it reads and its last checkpoint. Written when
/// readers leave or are declared offline, when a checkpoint completes and when the store closes; a reopened store
/// resumes the group from it (every reader is offline after a reopen, so segments are free at these positions).
/// </summary>
internal sealed record ReaderGroupSnapshot(int Generation, IReadOnlyList<SegmentPosition> Segments, Checkpoint? LastCheckpoint)
{
    public void Write(BinaryWriter w)
    {
        w.Write(Generation);
        w.Write(Segments.Count);
        foreach (var s in Segments)
        {
            w.Write(s.Key.Scope);
            w.Write(s.Key.Stream);
            w.Write(s.Key.SegmentId);
            w.Write(s.Offset);
            w.Write(s.EndOffset);
            w.Write(s.Finished);
        }
        w.Write(LastCheckpoint is not null);
        if (LastCheckpoint is null) return;
        w.Write(LastCheckpoint.Name);
        w.Write(LastCheckpoint.Positions.Count);
        foreach (var cut in LastCheckpoint.Positions) w.Write(cut.ToBase64());
    }

    public static ReaderGroupSnapshot Read(BinaryReader r)
    {
        int generation = r.ReadInt32();
        var segments = new SegmentPosition[r.ReadInt32()];
        for (int i = 0; i < segments.Length; i++)
            segments[i] = new SegmentPosition(new SegmentKey(r.ReadString(), r.ReadString(), r.ReadInt64()), r.ReadInt64(), r.ReadInt64(), r.ReadBoolean());
        Checkpoint? checkpoint = null;
        if (r.ReadBoolean())
        {
            string name = r.ReadString();
            var cuts = new StreamCut[r.ReadInt32()];
            for (int i = 0; i < cuts.Length; i++) cuts[i] = StreamCut.FromBase64(r.ReadString());
            checkpoint = new Checkpoint(name, cuts);
        }
        return new ReaderGroupSnapshot(generation, segments, checkpoint);
    }
}
