using Pravega.Embedded.Tier1;
using Xunit;

namespace Pravega.Embedded.Tests.Tier1;

public sealed class WriteAheadLogTests
{
    [Fact]
    public async Task Durable_records_are_replayed_in_order_with_consecutive_lsns_after_the_generation_marker()
    {
        using var h = new WalHarness();
        await using (var log = h.Open())
        {
            Assert.Equal(1, log.DurableLsn); // the new store's first generation marker
            for (int i = 1; i <= 20; i++)
                Assert.Equal(1 + i, (await h.AppendDurablyAsync(log, WalHarness.Payload(i, 1 + (i * 37 % 500)))).Lsn);
            Assert.Equal(21, log.DurableLsn);
        }

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(20, report.RecordCount);
        Assert.Equal(22, report.NextLsn);
        Assert.Equal(0, report.RepairedRanges + report.RebuiltFiles + report.DeletedFiles);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public async Task Empty_log_reopens_empty_and_each_open_takes_one_lsn_for_its_generation_marker()
    {
        using var h = new WalHarness();
        await using (var log = h.Open())
            Assert.Equal(0, log.Recovery.RecordCount);

        var (records, report) = h.Reopen();

        Assert.Empty(records);
        Assert.Equal(2, report.NextLsn);
        await using (var log = h.Open())
        {
            Assert.Equal(3, log.DurableLsn);
            Assert.Equal(4, (await h.AppendDurablyAsync(log, WalHarness.Payload(1, 10))).Lsn);
        }
        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
    }

    [Fact]
    public async Task Records_spanning_several_files_survive_reopen()
    {
        using var h = new WalHarness();
        await using (var log = h.Open())
        {
            // ~100 KiB records in 256 KiB files: two per file, so ten records fill five files.
            for (int i = 1; i <= 10; i++) await h.AppendDurablyAsync(log, WalHarness.Payload(i, (100 << 10) + i));
        }
        Assert.True(h.Written[^1].Address.FileSequence >= 5);

        var (records, report) = h.Reopen();

        WalHarness.AssertRecords(h.Written, records);
        Assert.Equal(h.Written[^1].Address.FileSequence, report.LastSequence);
        Assert.Equal(h.Written[^1].FrameEnd, report.EndPosition);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public async Task A_record_that_fills_a_file_exactly_is_followed_by_a_new_file()
    {
        using var h = new WalHarness();
        await using (var log = h.Open())
        {
            // The rest of file 1 after its generation marker, exactly.
            int markerEnd = WalFormat.FileHeaderSize + WalFormat.FrameHeaderSize + 1;
            await h.AppendDurablyAsync(log, WalHarness.Payload(1, h.FileSize - markerEnd - WalFormat.FrameHeaderSize));
            await h.AppendDurablyAsync(log, WalHarness.Payload(2, 1));
            await h.AppendDurablyAsync(log, WalHarness.Payload(3, log.MaxPayloadSize));
        }
        Assert.Equal([1L, 2L, 3L], h.Written.Select(r => r.Address.FileSequence));
        Assert.Equal(h.FileSize, h.Written[0].FrameEnd);

        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
    }

    [Fact]
    public async Task Read_returns_the_payload_of_durable_records_in_every_file()
    {
        using var h = new WalHarness();
        await using (var log = h.Open())
        {
            for (int i = 1; i <= 12; i++) await h.AppendDurablyAsync(log, WalHarness.Payload(i, 30_000 + i));
            foreach (var r in h.Written)
                Assert.True(WalHarness.Read(log, r.Address, r.Payload.Length).AsSpan().SequenceEqual(r.Payload));
        }
        Assert.True(h.Written[^1].Address.FileSequence > 1);

        // After a reopen, the addresses recovery reports read the same bytes.
        var replayed = new List<Replayed>();
        await using (var log = h.Open(replayed))
        {
            foreach (var r in replayed)
                Assert.True(WalHarness.Read(log, r.Address, r.Payload.Length).AsSpan().SequenceEqual(r.Payload));
        }
    }

    [Fact]
    public async Task Appends_after_reopen_continue_at_the_next_lsn_and_survive_another_reopen()
    {
        using var h = new WalHarness();
        h.Populate([5_000, 70_000, 123, 90_000]);

        await using (var log = h.Open())
        {
            long next = h.Written[^1].Lsn + 2; // after this open's generation marker
            Assert.Equal(next - 1, log.DurableLsn);
            for (int i = 0; i < 6; i++)
                Assert.Equal(next + i, (await h.AppendDurablyAsync(log, WalHarness.Payload(100 + i, 40_000 + i))).Lsn);
        }
        Assert.True(h.Written[^1].Address.FileSequence > h.Written[3].Address.FileSequence);

        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
        h.AssertMirrorsIdentical();
    }

    [Fact]
    public async Task Oversized_or_empty_payload_is_rejected_and_nothing_is_written()
    {
        using var h = new WalHarness();
        await using (var log = h.Open())
        {
            await h.AppendDurablyAsync(log, WalHarness.Payload(1, 100));
            var big = new byte[log.MaxPayloadSize + 1];
            Assert.Throws<ArgumentOutOfRangeException>(() => WalHarness.Append(log, big, out _));
            Assert.Throws<ArgumentOutOfRangeException>(() => WalHarness.Append(log, [], out _));
            await log.FlushAsync();
            Assert.Equal(h.Written[^1].Lsn, log.DurableLsn);
            // No LSN was used up by the rejected appends.
            Assert.Equal(h.Written[^1].Lsn + 1, (await h.AppendDurablyAsync(log, WalHarness.Payload(2, 100))).Lsn);
        }

        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
    }

    [Fact]
    public async Task Concurrent_WhenDurable_and_FlushAsync_all_complete()
    {
        using var h = new WalHarness(fileSize: 1 << 20);
        long durableSeen = 0;
        bool outOfOrder = false;
        var payloads = new List<(long Lsn, LogAddress Address, byte[] Payload)>();
        await using (var log = h.Open(onDurable: lsn =>
        {
            // Runs on the flusher thread: record, never throw.
            if (lsn <= Volatile.Read(ref durableSeen)) outOfOrder = true;
            Volatile.Write(ref durableSeen, lsn);
        }))
        {
            var waits = new List<Task>();
            for (int i = 1; i <= 400; i++)
            {
                var payload = WalHarness.Payload(i, 1 + (i * 131 % 3000));
                long lsn = WalHarness.Append(log, payload, out var address);
                payloads.Add((lsn, address, payload));
                if (i % 50 == 0) waits.Add(log.FlushAsync().AsTask());
                if (i % 7 == 0)
                {
                    long target = lsn;
                    waits.Add(Task.Run(async () =>
                    {
                        await log.WhenDurable(target);
                        // What onDurable applied is in place before the waiter hears of durability.
                        Assert.True(Volatile.Read(ref durableSeen) >= target);
                        Assert.True(log.DurableLsn >= target);
                    }));
                }
            }
            for (int t = 0; t < 8; t++) waits.Add(Task.Run(async () => await log.FlushAsync()));
            await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
            await log.FlushAsync();
            Assert.Equal(401, log.DurableLsn); // after the generation marker
            Assert.Equal(401, Volatile.Read(ref durableSeen));
            Assert.False(outOfOrder, "onDurable LSNs must increase");
            // Waiting for an already durable LSN completes synchronously.
            Assert.True(log.WhenDurable(1).AsTask().IsCompletedSuccessfully);
        }

        var records = h.Reopen().Records;
        WalHarness.AssertRecords([.. payloads.Select(p => new Appended(p.Lsn, p.Address, p.Payload))], records);
    }

    [Fact]
    public async Task WhenDurable_for_an_lsn_not_yet_appended_throws()
    {
        using var h = new WalHarness();
        await using var log = h.Open();
        await h.AppendDurablyAsync(log, WalHarness.Payload(1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = log.WhenDurable(5).AsTask(); });
    }

    [Fact]
    public async Task Dispose_flushes_appends_that_were_not_awaited()
    {
        using var h = new WalHarness();
        var expected = new List<Appended>();
        await using (var log = h.Open())
        {
            for (int i = 1; i <= 50; i++)
            {
                var payload = WalHarness.Payload(i, 2_000 + i);
                long lsn = WalHarness.Append(log, payload, out var address);
                expected.Add(new Appended(lsn, address, payload));
            }
        }

        WalHarness.AssertRecords(expected, h.Reopen().Records);
    }

    [Fact]
    public async Task Append_after_dispose_throws()
    {
        using var h = new WalHarness();
        var log = h.Open();
        await log.DisposeAsync();
        await log.DisposeAsync(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => WalHarness.Append(log, [1], out _));
    }

    [Fact]
    public async Task Second_open_of_the_same_directories_is_refused_while_the_first_is_open()
    {
        using var h = new WalHarness();
        await using var first = h.Open();
        await h.AppendDurablyAsync(first, WalHarness.Payload(1, 10));

        Assert.Throws<DataDirectoryLockedException>(() => h.Open());

        // The first log is unaffected.
        await h.AppendDurablyAsync(first, WalHarness.Payload(2, 10));
    }

    [Fact]
    public async Task Refused_open_releases_the_locks_it_already_took()
    {
        using var h = new WalHarness();
        await using var first = h.Open();
        // The other log shares only the last directory: it locks its first two, then fails on the third.
        string[] others = [Path.Combine(h.Root, "other-0"), Path.Combine(h.Root, "other-1"), h.Directories[2]];
        Assert.Throws<DataDirectoryLockedException>(() =>
            WriteAheadLog.Open(h.Options with { Directories = others }, static (_, _, _) => { }, static _ => { }));

        string[] free = [others[0], others[1], Path.Combine(h.Root, "other-2")];
        await using var third = WriteAheadLog.Open(h.Options with { Directories = free }, static (_, _, _) => { }, static _ => { });
    }

    [Fact]
    public async Task Dispose_releases_the_directory_locks()
    {
        using var h = new WalHarness();
        var first = h.Open();
        await h.AppendDurablyAsync(first, WalHarness.Payload(1, 10));
        await first.DisposeAsync();

        var replayed = new List<Replayed>();
        await using (var second = h.Open(replayed))
            await h.AppendDurablyAsync(second, WalHarness.Payload(2, 10));

        WalHarness.AssertRecords(h.Written[..1], replayed);
        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
    }

    [Fact]
    public async Task Pre_zeroed_files_hold_the_same_records()
    {
        using var h = new WalHarness(preZeroFiles: true);
        await using (var log = h.Open())
        {
            for (int i = 1; i <= 8; i++) await h.AppendDurablyAsync(log, WalHarness.Payload(i, 60_000 + i));
        }

        WalHarness.AssertRecords(h.Written, h.Reopen().Records);
        h.AssertMirrorsIdentical();
    }
}
