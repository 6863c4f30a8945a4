using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Pravega.Embedded.Client.Internal;

namespace Pravega.Embedded;

/// <summary>
/// Leader election on a state synchronizer (docs/DESIGN.md, "State synchronizer"): the members of an election share one
/// lease, a holder and an expiry on the store's <see cref="TimeProvider"/>. <see cref="TryLeadAsync"/> takes the lease
/// when it is free (never held, resigned, or expired) and renews it when this member holds it, with a conditional update,
/// so two members never take it at once; a leader that stops renewing loses the lead when its lease expires, and only
/// then may another take it. <see cref="IsLeader"/> is true only while this member's lease has not expired: at most one
/// member of an election is leader at any instant. Call <see cref="TryLeadAsync"/> well within
/// <see cref="LeaderElectionOptions.LeaseDuration"/> (a third of it, say) to keep the lead.
/// </summary>
public sealed class LeaderElection : IAsyncDisposable
{
    private readonly IStateSynchronizer<Lease, Lease> _lease;
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;

    private LeaderElection(IStateSynchronizer<Lease, Lease> lease, string memberId, TimeProvider time, TimeSpan duration)
    {
        _lease = lease;
        MemberId = memberId;
        _time = time;
        _duration = duration;
    }

    /// <summary>This member's id.</summary>
    public string MemberId { get; }

    /// <summary>Whether this member holds the lease now: it took or renewed it, and it has not expired since.</summary>
    public bool IsLeader => _lease.State is { } lease && lease.Holder == MemberId && _time.GetUtcNow().UtcTicks < lease.ExpiresAtTicks;

    /// <summary>The member holding an unexpired lease as this member last saw it (null: none).</summary>
    public string? Leader => _lease.State is { Holder: { } holder } lease && _time.GetUtcNow().UtcTicks < lease.ExpiresAtTicks ? holder : null;

    /// <summary>
    /// Joins the election <paramref name="name"/> in <paramref name="scope"/> (created with its first member; the scope must
    /// exist) as <paramref name="memberId"/>. Joining takes no lead: call <see cref="TryLeadAsync"/>.
    /// </summary>
    /// <param name="store">The store (its <see cref="TimeProvider"/> times the lease unless the options give one).</param>
    /// <param name="scope">The scope.</param>
    /// <param name="name">The election's name (a state synchronizer's name).</param>
    /// <param name="memberId">This member's id: 1..255 characters of <c>[A-Za-z0-9._-]</c>, unique among the members.</param>
    /// <param name="options">The lease's duration and clock.</param>
    /// <param name="ct">Cancels the join.</param>
    /// <returns>The member, not leading yet.</returns>
    /// <exception cref="ArgumentException">A name or the member id is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The lease duration is not positive.</exception>
    /// <exception cref="ScopeNotFoundException">The scope does not exist.</exception>
    public static async Task<LeaderElection> JoinAsync(IStreamStore store, string scope, string name, string memberId,
                                                       LeaderElectionOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        NameValidator.ValidateId(memberId, nameof(memberId));
        options ??= new LeaderElectionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LeaseDuration, TimeSpan.Zero, nameof(options));
        var time = options.TimeProvider ?? (store as StreamStore)?.Runtime.Time ?? TimeProvider.System;
        var lease = await store.CreateStateSynchronizerAsync(scope, name, LeaseSerializer.Instance, LeaseSerializer.Instance, static (_, next) => next, ct).ConfigureAwait(false);
        try
        {
            await lease.InitializeAsync(Lease.Free, ct).ConfigureAwait(false); // false: another member did
            return new LeaderElection(lease, memberId, time, options.LeaseDuration);
        }
        catch
        {
            await lease.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// One round: takes the lease if it is free or renews it if this member holds it, for
    /// <see cref="LeaderElectionOptions.LeaseDuration"/> from now; leaves it alone if another member holds it unexpired.
    /// </summary>
    /// <param name="ct">Cancels the round.</param>
    /// <returns>Whether this member leads now (<see cref="IsLeader"/>).</returns>
    public async Task<bool> TryLeadAsync(CancellationToken ct = default)
    {
        await _lease.UpdateStateAsync(lease =>
        {
            long now = _time.GetUtcNow().UtcTicks;
            if (lease.Holder is not null && lease.Holder != MemberId && now < lease.ExpiresAtTicks) return [];
            return [new Lease(MemberId, now + _duration.Ticks)];
        }, ct).ConfigureAwait(false);
        return IsLeader;
    }

    /// <summary>Gives the lead up now if this member holds it: another member may take it at once.</summary>
    /// <param name="ct">Cancels the resignation.</param>
    /// <returns>A task that completes when the lease is free (or was not this member's).</returns>
    public Task ResignAsync(CancellationToken ct = default) =>
        _lease.UpdateStateAsync(lease => lease.Holder == MemberId ? [Lease.Free] : [], ct);

    /// <summary>Resigns if this member leads, and leaves the election.</summary>
    /// <returns>A task that completes when it is done.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (IsLeader) await ResignAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // the store is gone (or the election with its scope): the lease expires by itself
        }
        await _lease.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The election's shared state: who holds the lease, and until when (UTC ticks).</summary>
    internal sealed record Lease(string? Holder, long ExpiresAtTicks)
    {
        public static Lease Free { get; } = new(null, 0);
    }

    /// <summary><c>[u8 holder length][holder (ASCII)][i64 expiry ticks]</c>.</summary>
    private sealed class LeaseSerializer : ISerializer<Lease>
    {
        public static LeaseSerializer Instance { get; } = new();

        public void Serialize(Lease value, IBufferWriter<byte> output)
        {
            int length = value.Holder?.Length ?? 0;
            var span = output.GetSpan(1 + length + 8);
            span[0] = (byte)length;
            if (value.Holder is not null) Encoding.ASCII.GetBytes(value.Holder, span[1..]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(1 + length)..], value.ExpiresAtTicks);
            output.Advance(1 + length + 8);
        }

        public Lease Deserialize(ReadOnlySequence<byte> bytes)
        {
            var span = bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray();
            int length = span[0];
            string? holder = length == 0 ? null : Encoding.ASCII.GetString(span.Slice(1, length));
            return new Lease(holder, BinaryPrimitives.ReadInt64LittleEndian(span[(1 + length)..]));
        }
    }
}

/// <summary>How a <see cref="LeaderElection"/> member holds its lease.</summary>
public sealed record LeaderElectionOptions
{
    /// <summary>How long a taken or renewed lease lasts. Default 10 s; more than zero.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of the lease; null (the default): the store's <see cref="StreamStoreOptions.TimeProvider"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
