using System.Globalization;
using Xunit;

namespace Pravega.Embedded.Tests.Transactions;

/// <summary>
/// What of the transactions of a failure test is visible, read through the batch client: transaction events are
/// <c>id:index:count[:padding]</c>, anything for which <c>isPlain</c> holds is a plain event. Checks on the way that each
/// transaction's events are one run in every segment, in write order there, each once, and that none is partly visible.
/// </summary>
internal static class VisibleTransactions
{
    /// <returns>Visible events per transaction id.</returns>
    public static async Task<Dictionary<string, int>> ReadAsync(StreamStore store, string scope, string stream, Func<string, bool> isPlain, string context)
    {
        var seen = new Dictionary<string, HashSet<int>>();
        var counts = new Dictionary<string, int>();
        await foreach (var range in store.Batch.ListSegmentsAsync(scope, stream))
        {
            string? current = null;
            int last = -1;
            var finished = new HashSet<string>();
            await foreach (var e in store.Batch.ReadSegmentAsync(range, Serializers.Utf8))
            {
                if (isPlain(e))
                {
                    if (current is not null) finished.Add(current);
                    current = null;
                    continue;
                }
                var parts = e.Split(':');
                string id = parts[0];
                int index = int.Parse(parts[1], CultureInfo.InvariantCulture);
                counts[id] = int.Parse(parts[2], CultureInfo.InvariantCulture);
                if (id != current)
                {
                    if (current is not null) finished.Add(current);
                    Assert.False(finished.Contains(id), $"{context}: transaction {id} is not contiguous in segment {range.SegmentId}");
                    (current, last) = (id, -1);
                }
                Assert.True(index > last, $"{context}: transaction {id}'s events are out of write order in segment {range.SegmentId}");
                last = index;
                if (!seen.TryGetValue(id, out var set)) seen.Add(id, set = []);
                Assert.True(set.Add(index), $"{context}: event {index} of transaction {id} is visible twice");
            }
        }
        foreach (var (id, set) in seen)
            Assert.True(set.Count == counts[id], $"{context}: transaction {id} is partly visible: {set.Count} of {counts[id]} events");
        return seen.ToDictionary(p => p.Key, p => p.Value.Count);
    }
}
