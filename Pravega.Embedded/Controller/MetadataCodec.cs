namespace Pravega.Embedded.Controller;

/// <summary>
/// Encodes controller metadata records (rare, small) with <see cref="BinaryWriter"/>: little-endian numbers,
/// length-prefixed UTF-8 strings. Configurations are written field by field, so the record format is ours and not
/// a serializer's.
/// </summary>
internal static class MetadataCodec
{
    /// <summary>This thread's writer, reused from record to record (a checkpoint encodes a record per stream under the container lock).</summary>
    [ThreadStatic]
    private static BinaryWriter? t_writer;

    public static byte[] Encode(MetadataRecordType type, Action<BinaryWriter> fields)
    {
        var writer = t_writer ?? new BinaryWriter(new MemoryStream(), System.Text.Encoding.UTF8);
        t_writer = null; // taken: a record encoded while this one is gets a writer of its own
        var stream = (MemoryStream)writer.BaseStream;
        try
        {
            stream.SetLength(0);
            writer.Write((byte)type);
            fields(writer);
            writer.Flush();
            return stream.ToArray();
        }
        finally
        {
            if (stream.Capacity <= 1 << 20) t_writer = writer; // a huge record's buffer is let go
        }
    }

    public static void Write(BinaryWriter w, StreamConfiguration config)
    {
        w.Write((byte)config.ScalingPolicy.Kind);
        w.Write(config.ScalingPolicy.TargetRate);
        w.Write(config.ScalingPolicy.ScaleFactor);
        w.Write(config.ScalingPolicy.MinSegments);
        w.Write(config.RetentionPolicy is null ? (byte)0 : (byte)(1 + (int)config.RetentionPolicy.Kind));
        if (config.RetentionPolicy is { } r) w.Write(r.Kind == RetentionPolicyKind.Time ? r.KeepAtLeastTime!.Value.Ticks : r.KeepAtLeastBytes!.Value);
    }

    public static StreamConfiguration ReadStreamConfiguration(BinaryReader r)
    {
        var kind = (ScalingPolicyKind)r.ReadByte();
        int rate = r.ReadInt32(), factor = r.ReadInt32(), min = r.ReadInt32();
        var scaling = kind switch
        {
            ScalingPolicyKind.Fixed => ScalingPolicy.Fixed(min),
            ScalingPolicyKind.ByEventRate => ScalingPolicy.ByEventRate(rate, factor, min),
            ScalingPolicyKind.ByDataRate => ScalingPolicy.ByDataRate(rate, factor, min),
            _ => throw new InvalidDataException($"Unknown scaling policy kind {kind}."),
        };
        RetentionPolicy? retention = r.ReadByte() switch
        {
            0 => null,
            1 + (int)RetentionPolicyKind.Time => RetentionPolicy.ByTime(TimeSpan.FromTicks(r.ReadInt64())),
            1 + (int)RetentionPolicyKind.Size => RetentionPolicy.BySize(r.ReadInt64()),
            var k => throw new InvalidDataException($"Unknown retention policy kind {k}."),
        };
        return new StreamConfiguration { ScalingPolicy = scaling, RetentionPolicy = retention };
    }

    public static void Write(BinaryWriter w, ReaderGroupConfig config)
    {
        w.Write(config.AutomaticCheckpointInterval?.Ticks ?? -1);
        w.Write(config.Streams.Count);
        foreach (var s in config.Streams)
        {
            w.Write(s.Scope);
            w.Write(s.Stream);
            w.Write(s.Start is null ? "" : s.Start.ToBase64());
            w.Write(s.End is null ? "" : s.End.ToBase64());
        }
    }

    public static ReaderGroupConfig ReadReaderGroupConfig(BinaryReader r)
    {
        long interval = r.ReadInt64();
        var streams = new StreamSelection[r.ReadInt32()];
        for (int i = 0; i < streams.Length; i++)
        {
            string scope = r.ReadString(), stream = r.ReadString(), start = r.ReadString(), end = r.ReadString();
            streams[i] = new StreamSelection(scope, stream,
                start.Length == 0 ? null : StreamCut.FromBase64(start), end.Length == 0 ? null : StreamCut.FromBase64(end));
        }
        return new ReaderGroupConfig { Streams = streams, AutomaticCheckpointInterval = interval < 0 ? null : TimeSpan.FromTicks(interval) };
    }
}
