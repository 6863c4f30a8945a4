using Microsoft.Extensions.Time.Testing;
using Pravega.Embedded.Tests.Integration;
using Xunit;

namespace Pravega.Embedded.Tests.StateSynchronizer;

/// <summary>
/// Leader election on a fake clock: one member takes the lead, a leader renewing keeps it, one that stops loses it when
/// its lease expires (and only then may another take it), resignation frees it at once, at most one leader at any
/// instant also when many try at the same moment, and the lease survives a reopen.
/// </summary>
public sealed class LeaderElectionTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private readonly TempStoreDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private StreamStoreOptions Options => _dir.Options() with { TimeProvider = _clock, RetentionCheckInterval = Timeout.InfiniteTimeSpan };

    private static Task<LeaderElection> JoinAsync(StreamStore store, string member) =>
        LeaderElection.JoinAsync(store, "s", "leader", member, new LeaderElectionOptions { LeaseDuration = Lease });

    private static void AtMostOneLeader(IEnumerable<LeaderElection> members) =>
        Assert.True(members.Count(m => m.IsLeader) <= 1, "two leaders at once: " + string.Join(", ", members.Where(m => m.IsLeader).Select(m => m.MemberId)));

    [Fact]
    public async Task A_leader_that_stops_renewing_loses_the_lead_when_its_lease_expires_and_only_then()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        await store.Streams.CreateScopeAsync("s");
        var members = new List<LeaderElection>();
        foreach (var id in new[] { "a", "b", "c" }) members.Add(await JoinAsync(store, id));
        var (a, b, c) = (members[0], members[1], members[2]);
        Assert.Null(a.Leader);
        Assert.True(await a.TryLeadAsync());
        Assert.False(await b.TryLeadAsync());
        Assert.False(await c.TryLeadAsync());
        Assert.Equal("a", c.Leader);
        AtMostOneLeader(members);

        for (int i = 0; i < 5; i++) // renewing every 4 s keeps the lead for far longer than one lease
        {
            _clock.Advance(TimeSpan.FromSeconds(4));
            Assert.True(await a.TryLeadAsync());
            Assert.False(await b.TryLeadAsync());
            AtMostOneLeader(members);
        }

        _clock.Advance(TimeSpan.FromSeconds(9)); // a stops renewing: its lease has 1 s left
        Assert.False(await b.TryLeadAsync());
        Assert.True(a.IsLeader);
        _clock.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1)); // the lease's last tick
        Assert.False(await b.TryLeadAsync());
        Assert.True(a.IsLeader);
        AtMostOneLeader(members);
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(a.IsLeader); // expired: no leader at this instant, not two
        AtMostOneLeader(members);
        Assert.True(await b.TryLeadAsync());
        Assert.False(await a.TryLeadAsync()); // back too late: b holds it now
        Assert.False(await c.TryLeadAsync());
        AtMostOneLeader(members);

        await b.ResignAsync();
        Assert.False(b.IsLeader);
        Assert.True(await c.TryLeadAsync()); // free at once, without waiting for the lease
        AtMostOneLeader(members);
        foreach (var m in members) await m.DisposeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Members_pausing_stopping_and_rejoining_never_make_two_leaders(int seed)
    {
        var random = new Random(seed);
        await using var store = await StreamStore.OpenAsync(Options);
        await store.Streams.CreateScopeAsync("s");
        var members = new LeaderElection?[5];
        var paused = new bool[5];
        for (int i = 0; i < members.Length; i++) members[i] = await JoinAsync(store, "m" + i);
        int led = 0;
        for (int step = 0; step < 300; step++)
        {
            int m = random.Next(members.Length);
            switch (random.Next(10))
            {
                case < 5: // a member's round, unless it is paused or gone
                    if (members[m] is { } member && !paused[m] && await member.TryLeadAsync()) led++;
                    break;
                case < 7:
                    paused[m] = !paused[m]; // pauses (a leader then stops renewing) or resumes
                    break;
                case 7: // stops (resigning if it leads) and comes back later under the same id
                    if (members[m] is { } stopping) await stopping.DisposeAsync();
                    members[m] = null;
                    break;
                case 8:
                    members[m] ??= await JoinAsync(store, "m" + m);
                    break;
                default:
                    _clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 6000)));
                    break;
            }
            AtMostOneLeader(members.OfType<LeaderElection>());
        }
        Assert.True(led >= 5, $"the lead was taken or renewed only {led} times");
        foreach (var member in members.OfType<LeaderElection>()) await member.DisposeAsync();
    }

    [Fact]
    public async Task Of_many_members_trying_at_the_same_instant_exactly_one_leads()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        await store.Streams.CreateScopeAsync("s");
        var members = new List<LeaderElection>();
        for (int i = 0; i < 8; i++) members.Add(await JoinAsync(store, "m" + i));
        for (int round = 0; round < 3; round++)
        {
            var results = await Task.WhenAll(members.Select(m => Task.Run(() => m.TryLeadAsync())));
            Assert.Equal(1, results.Count(r => r));
            AtMostOneLeader(members);
            var leader = members.Single(m => m.IsLeader);
            await leader.ResignAsync();
        }
        foreach (var m in members) await m.DisposeAsync();
    }

    [Fact]
    public async Task The_lease_survives_a_reopen_until_it_expires()
    {
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await store.Streams.CreateScopeAsync("s");
            var a = await JoinAsync(store, "a");
            Assert.True(await a.TryLeadAsync());
        } // a is gone without resigning (its process ended)
        await using (var store = await StreamStore.OpenAsync(Options))
        {
            await using var b = await JoinAsync(store, "b");
            Assert.False(await b.TryLeadAsync());
            Assert.Equal("a", b.Leader);
            _clock.Advance(Lease);
            Assert.True(await b.TryLeadAsync());
        }
    }

    [Fact]
    public async Task Bad_members_and_options_are_refused()
    {
        await using var store = await StreamStore.OpenAsync(Options);
        await store.Streams.CreateScopeAsync("s");
        await Assert.ThrowsAsync<ArgumentException>(() => LeaderElection.JoinAsync(store, "s", "leader", "bad id!"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LeaderElection.JoinAsync(store, "s", "leader", "a", new LeaderElectionOptions { LeaseDuration = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ScopeNotFoundException>(() => LeaderElection.JoinAsync(store, "nope", "leader", "a"));
    }
}
