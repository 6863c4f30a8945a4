using System.Globalization;

namespace Pravega.Embedded.Tests.Simulation;

/// <summary>The check after every recovery, through the public API only.</summary>
internal sealed partial class StoreSimulationRun
{
    /// <summary>
    /// Checks the reopened store against the model: metadata that completed calls created or observed survives and
    /// nothing unknown appears; every event is one the workload wrote, at most once per attempt and per (writer id,
    /// event number); acknowledged events and Duplicate-answered numbers are present; failures that happened before
    /// the log are absent; per writer object, what is present is a prefix of its calls; what an earlier check saw
    /// present or absent stays so.
    /// </summary>
    private async Task CheckAsync()
    {
        await CheckMetadataAsync();
        var present = new Dictionary<int, int>();
        var transactions = new Dictionary<int, HashSet<int>>();
        foreach (var stream in _model.Streams.Values)
        {
            if (!stream.Confirmed) continue;
            await ReadStreamAsync(stream, present, transactions);
        }
        CheckNow("reading every event");
        CheckTransactions(transactions);
        await CheckTransactionStatusesAsync(transactions);

        var perNumber = new Dictionary<(string, long), Attempt>();
        var truncatedNumbers = new HashSet<(string, long)>();
        foreach (var a in _model.Attempts)
        {
            present.TryGetValue(a.Id, out int count);
            bool isPresent = count > 0;
            if (count > 1) Violation($"{a}: present {count} times");
            if (a.Truncation != TruncationKind.None)
            {
                if (a.Truncation == TruncationKind.Done && isPresent) Violation($"{a}: present, but a completed truncation at the durable tail came after it");
                if (a.DurableWhenTruncated && a.Number is { } t) truncatedNumbers.Add((a.WriterId, t));
                if (isPresent && a.Number is { } m && !perNumber.TryAdd((a.WriterId, m), a))
                    Violation($"{a}: event number {m} of '{a.WriterId}' is present twice (also {perNumber[(a.WriterId, m)]}): not exactly-once");
                continue;
            }
            if (a.Settled is { } settled && settled != isPresent)
                Violation($"{a}: {(settled ? "was present after an earlier recovery and is gone now" : "was absent after an earlier recovery and appeared now")}");
            if (a.Outcome == CallOutcome.Written && !isPresent) Violation($"{a}: acknowledged but not present (lost)");
            if (a.Outcome == CallOutcome.NotAppended && isPresent) Violation($"{a}: failed before reaching the log but is present");
            if (isPresent && a.Number is { } n && !perNumber.TryAdd((a.WriterId, n), a))
                Violation($"{a}: event number {n} of '{a.WriterId}' is present twice (also {perNumber[(a.WriterId, n)]}): not exactly-once");
            a.Settled = isPresent;
        }
        foreach (var a in _model.Attempts)
        {
            if (a.Outcome == CallOutcome.Duplicate && !perNumber.ContainsKey((a.WriterId, a.Number!.Value)) && !truncatedNumbers.Contains((a.WriterId, a.Number!.Value)))
                Violation($"{a}: answered Duplicate, but no event with number {a.Number} of '{a.WriterId}' is present");
        }
        CheckPrefixes();
        Log($"  check after recovery: {_model.Attempts.Count} attempts, {present.Count} present, {_model.Scopes.Count} scopes, {_model.Streams.Count} streams known");
        CheckNow("check after recovery");
    }

    /// <summary>Durability is prefix-closed per writer: all that a writer object called before a present event is present.</summary>
    private void CheckPrefixes()
    {
        var byWriter = new Dictionary<(int Slot, int Life), List<Attempt>>();
        foreach (var a in _model.Attempts)
        {
            if (!byWriter.TryGetValue((a.Slot.Index, a.Life), out var list)) byWriter.Add((a.Slot.Index, a.Life), list = []);
            list.Add(a);
        }
        foreach (var list in byWriter.Values)
        {
            int last = list.FindLastIndex(a => a.Settled == true);
            for (int i = 0; i < last; i++)
            {
                var a = list[i];
                if (a.Settled != true && a.Truncation == TruncationKind.None && a.Outcome is not (CallOutcome.Duplicate or CallOutcome.NotAppended))
                    Violation($"{a}: absent, but {list[last]} that the same writer called later is present: durability is not prefix-closed");
            }
        }
    }

    /// <summary>
    /// Every transaction all or nothing; committed ones present (unless truncated after), aborted and open ones absent, a
    /// commit under way either way; what an earlier check saw stays so.
    /// </summary>
    private void CheckTransactions(Dictionary<int, HashSet<int>> visible)
    {
        foreach (var t in _model.Transactions)
        {
            if (!_model.Streams[(t.Scope, t.Stream)].Confirmed) continue; // deleted with its stream
            int seen = visible.GetValueOrDefault(t.Index)?.Count ?? 0;
            bool isPresent = seen > 0;
            if (isPresent && seen != t.Count) Violation($"{t}: partly visible, {seen} of {t.Count} events");
            if (t.MaybeTruncated)
            {
                if (isPresent && t.Settled == false) Violation($"{t}: was absent after an earlier recovery and appeared now");
                t.Settled = isPresent;
                continue;
            }
            if (t.Stage == TransactionStage.Committed && !isPresent) Violation($"{t}: its commit completed but it is not visible (lost)");
            if (t.Stage is TransactionStage.Beginning or TransactionStage.Open or TransactionStage.Aborted && isPresent) Violation($"{t}: visible, but it was never committed");
            if (t.Settled is { } settled && settled != isPresent)
                Violation($"{t}: {(settled ? "was visible after an earlier recovery and is gone now" : "was absent after an earlier recovery and appeared now")}");
            t.Settled = isPresent;
        }
        CheckNow("transaction check");
    }

    /// <summary>
    /// Each begun transaction's status through <c>GetTransactionAsync</c> agrees with what its caller saw and with what is
    /// visible: committed ones Committed; those visible Committed; completed aborts Aborted; open ones Open, or Aborted when
    /// their stream was sealed (or an abort may have got through).
    /// </summary>
    private async Task CheckTransactionStatusesAsync(Dictionary<int, HashSet<int>> visible)
    {
        foreach (var t in _model.Transactions)
        {
            if (t.Id is not { } id || !_model.Streams[(t.Scope, t.Stream)].Confirmed) continue;
            TransactionStatus status;
            try
            {
                var txn = await _store!.CreateTransactionalWriter(t.Scope, t.Stream, Serializers.Utf8).GetTransactionAsync(id).WaitAsync(HangTimeout);
                status = await txn.CheckStatusAsync().WaitAsync(HangTimeout);
            }
            catch (TransactionFailedException e)
            {
                Violation($"{t}: begun, but the reopened store does not know it ({e.Message})");
                continue;
            }
            bool isVisible = visible.ContainsKey(t.Index);
            bool sealedStream = _model.Streams[(t.Scope, t.Stream)].ObservedSealed;
            bool ok = t.Stage switch
            {
                TransactionStage.Committed => status == TransactionStatus.Committed,
                // The commit got through (visible, unless a truncation removed it since) or not (open; aborted by a seal).
                TransactionStage.Committing => status switch
                {
                    TransactionStatus.Committed => isVisible || t.MaybeTruncated,
                    TransactionStatus.Open => !isVisible,
                    TransactionStatus.Aborted => !isVisible && sealedStream,
                    _ => false,
                },
                TransactionStage.Aborted when t.AbortCompleted => status == TransactionStatus.Aborted,
                TransactionStage.Aborted => status is TransactionStatus.Aborted or TransactionStatus.Open,
                _ => status == TransactionStatus.Open || (sealedStream && status == TransactionStatus.Aborted),
            };
            if (!ok) Violation($"{t}: its status after recovery is {status}{(isVisible ? ", visible" : "")}{(sealedStream ? ", stream sealed" : "")}");
        }
        CheckNow("transaction status check");
    }

    /// <summary>A transaction event of the check's read: counted once per transaction and index.</summary>
    private void CountTransactionEvent(string e, StreamModel stream, long segmentId, Dictionary<int, HashSet<int>> transactions, ref int current, HashSet<int> finished)
    {
        var parts = e.Split(':');
        if (parts.Length < 4 || !int.TryParse(parts[0].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= _model.Transactions.Count
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i) || _model.Transactions[index] is not { } t
            || t.Scope != stream.Scope || t.Stream != stream.Stream || parts[2] != t.Count.ToString(CultureInfo.InvariantCulture))
        {
            Violation($"{stream.Scope}/{stream.Stream} segment {segmentId} holds a transaction event that was never written: '{Truncate(e)}'");
            return;
        }
        if (index != current)
        {
            if (current >= 0) finished.Add(current);
            if (finished.Contains(index)) Violation($"{t}: its events are not contiguous in segment {segmentId}");
            current = index;
        }
        if (!transactions.TryGetValue(index, out var set)) transactions.Add(index, set = []);
        if (!set.Add(i)) Violation($"{t}: its event {i} is present twice");
    }

    private async Task ReadStreamAsync(StreamModel stream, Dictionary<int, int> present, Dictionary<int, HashSet<int>> transactions)
    {
        var store = _store!;
        List<SegmentRange> segments;
        try
        {
            segments = await store.Batch.ListSegmentsAsync(stream.Scope, stream.Stream).ToListAsync().AsTask().WaitAsync(HangTimeout);
        }
        catch (Exception e)
        {
            Violation($"listing the segments of {stream.Scope}/{stream.Stream} failed: {e}");
            return;
        }
        foreach (var segment in segments)
        {
            List<string> events;
            try
            {
                events = await store.Batch.ReadSegmentAsync(segment, Serializers.Utf8).ToListAsync().AsTask().WaitAsync(HangTimeout);
            }
            catch (Exception e)
            {
                Violation($"reading segment {segment.SegmentId} of {stream.Scope}/{stream.Stream} failed: {e}");
                continue;
            }
            int current = -1;
            var finished = new HashSet<int>();
            foreach (string e in events)
            {
                if (e.StartsWith('x'))
                {
                    CountTransactionEvent(e, stream, segment.SegmentId, transactions, ref current, finished);
                    continue;
                }
                if (current >= 0) finished.Add(current);
                current = -1;
                int colon = e.IndexOf(':', StringComparison.Ordinal);
                if (e.Length < 2 || e[0] != 'a' || colon < 0 || !int.TryParse(e.AsSpan(1, colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int id) ||
                    !_model.AttemptsById.TryGetValue(id, out var attempt) || !e.StartsWith(ExpectedPrefix(attempt), StringComparison.Ordinal))
                {
                    Violation($"{stream.Scope}/{stream.Stream} segment {segment.SegmentId} holds an event that was never written: '{Truncate(e)}'");
                    continue;
                }
                if (attempt.Slot.Scope != stream.Scope || attempt.Slot.Stream != stream.Stream)
                    Violation($"{attempt}: present in {stream.Scope}/{stream.Stream}, not in the stream it was written to");
                present[id] = present.GetValueOrDefault(id) + 1;
            }
        }
    }

    private static string ExpectedPrefix(Attempt a) =>
        $"a{a.Id}:{a.WriterId}:{(a.Number is { } n ? n.ToString(CultureInfo.InvariantCulture) : "-")}:";

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    private async Task CheckMetadataAsync()
    {
        var store = _store!;
        var scopes = await store.Streams.ListScopesAsync().ToListAsync().AsTask().WaitAsync(HangTimeout);
        var listed = new HashSet<string>(scopes, StringComparer.Ordinal);
        foreach (var (scope, confirmed) in _model.Scopes)
            if (confirmed && !listed.Contains(scope)) Violation($"scope {scope} was created or seen by a completed call but is gone");
        foreach (string scope in scopes)
        {
            if (!_model.Scopes.ContainsKey(scope))
            {
                Violation($"scope {scope} is listed but was never created");
                continue;
            }
            _model.Scopes[scope] = true;
            var streams = await store.Streams.ListStreamsAsync(scope).ToListAsync().AsTask().WaitAsync(HangTimeout);
            var names = new HashSet<string>(streams, StringComparer.Ordinal);
            foreach (var s in _model.Streams.Values)
                if (s.Scope == scope && s.Confirmed && !names.Contains(s.Stream)) Violation($"stream {scope}/{s.Stream} was created or seen by a completed call but is gone");
            foreach (string name in streams)
            {
                if (!_model.Streams.TryGetValue((scope, name), out var s))
                {
                    Violation($"stream {scope}/{name} is listed but was never created");
                    continue;
                }
                s.Confirmed = true;
                var info = await store.Streams.GetStreamInfoAsync(scope, name).WaitAsync(HangTimeout);
                if (s.SealConfirmed && !info.IsSealed) Violation($"stream {scope}/{name}: its seal completed (or was seen) but it is not sealed now");
                if (info.IsSealed && !s.SealAttempted) Violation($"stream {scope}/{name} is sealed but nobody sealed it");
                if (info.IsSealed) s.SealConfirmed = true;
                s.ObservedSealed = info.IsSealed;
                var segments = await store.Streams.GetActiveSegmentsAsync(scope, name).WaitAsync(HangTimeout);
                if (s.Layouts.Count > 0)
                {
                    string layout = Layout(segments);
                    if (!s.Layouts.Contains(layout))
                        Violation($"stream {scope}/{name} has active segments {layout}, not one of the layouts its scales may have left: {string.Join(" or ", s.Layouts)}");
                    s.Layouts.Clear();
                    s.Layouts.Add(layout);
                }
                else if (!info.IsSealed && !s.Segments.Contains(segments.Count))
                    Violation($"stream {scope}/{name} has {segments.Count} active segments, created with Fixed({string.Join(" or ", s.Segments)})");
                if (!info.IsSealed)
                {
                    s.Segments.Clear();
                    s.Segments.Add(segments.Count);
                }
            }
        }
        foreach (var ((scope, group), confirmed) in new List<KeyValuePair<(string, string), bool>>(_model.Groups))
        {
            if (!listed.Contains(scope)) continue;
            try
            {
                await store.ReaderGroups.GetReaderGroupAsync(scope, group).WaitAsync(HangTimeout);
                _model.Groups[(scope, group)] = true;
            }
            catch (ReaderGroupNotFoundException)
            {
                if (confirmed) Violation($"reader group {scope}/{group} was created by a completed call but is gone");
            }
        }
        CheckNow("metadata check");
    }
}
