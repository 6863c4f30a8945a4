using System.Buffers;

namespace Pravega.Embedded.Tier1;

internal sealed partial class WalRecovery
{
    // ---- phase 2: apply the plan, make the whole log durable (the scan found nothing to refuse) ----

    private RecoveryReport Apply()
    {
        int repaired = 0, rebuilt = 0, deleted = 0;
        long zeroed = 0;
        var sizes = new SortedDictionary<long, int>();
        var last = _plans[^1]; // the first file is always part of the log, so there is at least one plan
        foreach (var plan in _plans)
        {
            var file = plan.File;
            sizes.Add(file.Sequence, file.Size);
            var handles = new IDeviceFile?[_directories.Count];
            try
            {
                for (int m = 0; m < handles.Length; m++)
                    if (!plan.Rebuilds(m)) handles[m] = _device.OpenFile(PathOf(m, file.Sequence), DeviceOpenMode.OpenExisting);
                for (int m = 0; m < handles.Length; m++)
                {
                    if (plan.Rebuilds(m))
                    {
                        Rebuild(m, plan, handles);
                        rebuilt++;
                        continue;
                    }
                    var own = handles[m]!;
                    if (own.Length < file.Size) own.Allocate(file.Size);
                    foreach (var r in plan.Repairs(m))
                    {
                        Copy(handles, own, r, plan);
                        repaired++;
                    }
                    int zeroEnd = plan.ZeroEnds[m];
                    if (zeroEnd > plan.End)
                    {
                        WriteZeros(own, plan.End, zeroEnd - plan.End);
                        zeroed += zeroEnd - plan.End;
                    }
                    // The last commit may be durable nowhere yet (the previous process may have died in, or failed, its
                    // fdatasync, and a failed fdatasync can leave pages marked clean that never reached the disk): it is
                    // written again from the chosen copy, so the flush below really writes it.
                    if (ReferenceEquals(plan, last) && plan.LastCommitStart >= 0)
                        foreach (var r in plan.ChosenFrom(plan.LastCommitStart)) Copy(handles, own, r, plan);
                    // Everything replayed becomes durable here, before the log opens: also bytes that an earlier process
                    // (or an interrupted recovery) wrote but never synced, which the page cache still shows.
                    own.Flush();
                }
            }
            finally
            {
                foreach (var h in handles) h?.Dispose();
            }
        }
        foreach (long seq in _pastEnd)
        {
            for (int m = 0; m < _directories.Count; m++)
            {
                string path = PathOf(m, seq);
                if (!_device.FileExists(path)) continue;
                _device.DeleteFile(path);
                deleted++;
            }
        }
        // Names of log files the previous process created may not be durable yet either.
        foreach (string dir in _directories) _device.SyncDirectory(dir);
        return new RecoveryReport(StoreId, checked(_maxGeneration + 1), _records, _expected, last.File.Sequence, last.End, sizes, repaired, rebuilt, zeroed, deleted);
    }

    /// <summary>Writes a mirror's copy of a file anew (header, then every chosen frame) as a new log file is made.</summary>
    private void Rebuild(int mirror, FilePlan plan, IDeviceFile?[] sources)
    {
        var file = plan.File;
        WalFilePreparer.CreateFile(_device, _directories[mirror], new FileHeader(StoreId, file.Sequence, file.Size, file.Generation), stop: null,
                                   fill: target =>
                                   {
                                       foreach (var r in plan.Chosen) Copy(sources, target, r, plan);
                                   });
    }

    private static void WriteZeros(IDeviceFile target, int position, int length)
    {
        var zeros = new byte[Math.Min(length, 1 << 20)];
        for (int done = 0; done < length; done += zeros.Length)
            target.Write(zeros.AsSpan(0, Math.Min(zeros.Length, length - done)), position + done);
    }

    /// <summary>
    /// Whether the scan read mirror <paramref name="mirror"/>'s copy of the chosen bytes at <paramref name="position"/>
    /// (<paramref name="length"/> of them, chosen from <paramref name="source"/>) and found it identical (no repair of its
    /// own overlaps them).
    /// </summary>
    private static bool Agrees(FilePlan plan, IDeviceFile?[] handles, int mirror, int source, long position, int length)
    {
        if (mirror == source || plan.Rebuilds(mirror) || handles[mirror] is null) return false;
        foreach (var r in plan.Repairs(mirror))
            if (r.Position < position + length && position < r.Position + r.Length) return false;
        return true;
    }

    /// <summary>
    /// Copies the chosen bytes of <paramref name="range"/> (from <c>handles[range.Source]</c>) to <paramref name="target"/>.
    /// A sector of the source can go bad after the scan read it: that chunk is then read from a mirror whose copy the scan
    /// found identical, else from the frames the scan kept in memory because it found them in one copy only, and only if
    /// none of these has it does the copy fail.
    /// </summary>
    private static void Copy(IDeviceFile?[] handles, IDeviceFile target, ChosenRange range, FilePlan plan)
    {
        const int Chunk = 1 << 20;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(Chunk, range.Length));
        try
        {
            for (int done = 0; done < range.Length;)
            {
                int size = Math.Min(buffer.Length, range.Length - done);
                int read = ReadChunk(handles, range, plan, buffer.AsSpan(0, size), range.Position + done);
                if (read != size) throw new IOException($"'{handles[range.Source]!.Path}' ended while its chosen bytes were copied to '{target.Path}'.");
                target.Write(buffer.AsSpan(0, size), range.Position + done);
                done += size;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadChunk(IDeviceFile?[] handles, ChosenRange range, FilePlan plan, Span<byte> destination, long offset)
    {
        var source = handles[range.Source]!;
        try
        {
            return source.Read(destination, offset);
        }
        catch (IOException)
        {
            // Sector by sector: from the source where it still reads, else put together from what the scan kept and from
            // mirrors whose copy is identical over each part (a sector can hold the end of a frame found in one copy only
            // and the start of one that another mirror holds too).
            for (int at = 0; at < destination.Length;)
            {
                int size = Math.Min(MirrorCopy.BlockSize - (int)((offset + at) % MirrorCopy.BlockSize), destination.Length - at);
                var piece = destination.Slice(at, size);
                if (!TryRead(source, piece, offset + at) && !TryAssemble(handles, range.Source, plan, piece, offset + at)) throw;
                at += size;
            }
            return destination.Length;
        }
    }

    /// <summary>The bytes at <paramref name="offset"/> from retained frames where they cover them, from agreeing mirrors elsewhere.</summary>
    private static bool TryAssemble(IDeviceFile?[] handles, int source, FilePlan plan, Span<byte> destination, long offset)
    {
        for (int at = 0; at < destination.Length;)
        {
            long position = offset + at;
            var retained = plan.RetainedAt(position, out long next);
            if (!retained.IsEmpty)
            {
                int n = Math.Min(retained.Length, destination.Length - at);
                retained[..n].CopyTo(destination[at..]);
                at += n;
                continue;
            }
            int length = (int)Math.Min(destination.Length - at, next - position);
            if (!TryReadAgreeing(handles, source, plan, destination.Slice(at, length), position)) return false;
            at += length;
        }
        return true;
    }

    private static bool TryReadAgreeing(IDeviceFile?[] handles, int source, FilePlan plan, Span<byte> destination, long offset)
    {
        for (int m = 0; m < handles.Length; m++)
            if (Agrees(plan, handles, m, source, offset, destination.Length) && TryRead(handles[m]!, destination, offset)) return true;
        return false;
    }

    private static bool TryRead(IDeviceFile file, Span<byte> destination, long offset)
    {
        try
        {
            return file.Read(destination, offset) == destination.Length;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private string PathOf(int mirror, long sequence) => Path.Combine(_directories[mirror], WalFormat.FileName(sequence));
}
