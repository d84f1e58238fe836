using Microsoft.Extensions.Logging.Abstractions;
using SessionVoice.Api.Sessions;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Sessions;

/// <summary>
/// A join waits for the booking's settlement turn only when claims decide: with webhooks configured
/// (observed events decide) a claim cannot change the decision under way, so it is recorded at once.
/// The settlement is held inside its turn by a store that does not answer until released.
/// </summary>
public sealed class ClaimTurnTests : IDisposable
{
    private static readonly Address Host = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    private static readonly Address Guest = Address.Parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    private static readonly BookingId Id = new(42);

    private readonly TempDatabase _temp = new();

    public void Dispose() => _temp.Dispose();

    private sealed class Directory(BookingSnapshot snapshot) : IBookingDirectory
    {
        public Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct) => Task.FromResult<BookingSnapshot?>(id == snapshot.Id ? snapshot : null);
    }

    /// <summary>Presence reads wait for <see cref="Release"/>; <see cref="Entered"/> says the settlement is inside its turn.</summary>
    private sealed class HeldStore : IBookingStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public async Task<IReadOnlyList<PresenceEvent>> ClaimsAsync(BookingId id, CancellationToken ct)
        {
            Entered.TrySetResult();
            await _gate.Task.WaitAsync(ct);
            return [];
        }

        public async Task<IReadOnlyList<ObservedEvent>> ObservedAsync(BookingId id, CancellationToken ct)
        {
            Entered.TrySetResult();
            await _gate.Task.WaitAsync(ct);
            return [];
        }

        public Task<StoredAttestation?> GetAttestationAsync(BookingId id, CancellationToken ct) => Task.FromResult<StoredAttestation?>(null);

        public Task<bool> TryRecordDecisionAsync(StoredAttestation attestation, CancellationToken ct) => throw new InvalidOperationException("a session that has just begun is not decided");

        public Task ReplaceDecisionAsync(StoredAttestation attestation, CancellationToken ct) => throw new InvalidOperationException("no force here");

        public Task AuditAsync(BookingId id, string actor, string action, string detail, long nowUnix, CancellationToken ct) => throw new InvalidOperationException("no force here");

        public Task UpdateAttestationAsync(BookingId id, AttestationStatus status, Hash32? txHash, string? detail, long nowUnix, CancellationToken ct) => Task.CompletedTask;

        public Task ScheduleAsync(BookingId id, long? dueAtUnix, string decision, long nowUnix, CancellationToken ct) => Task.CompletedTask;

        public Task<long?> DueAtAsync(BookingId id, CancellationToken ct) => Task.FromResult<long?>(null);
    }

    private (StandaloneBookingSessions Sessions, HeldStore Store, SqliteStore Presence) Build(bool observedOnly)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60; // began a minute ago: joinable
        var snapshot = new BookingSnapshot(
            new Slot(7, Host, start, 30, new Wei(1000), 5, 10, 60, SlotStatus.Booked),
            new Booking(Id, 7, Guest, new Wei(1000), BookingStatus.Booked, Outcome.None, Hash32.Zero, 0, 0, Address.Zero, new Wei(0), 0));
        var directory = new Directory(snapshot);
        var store = new HeldStore();
        var chain = new ChainInfo(6343, Address.Zero);
        var creds = new AgoraCredentials("970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b");
        var grants = new JoinGrants(directory, new RtcTokenIssuer(creds, TimeProvider.System, new RtcTokenOptions()), chain, TimeProvider.System);
        var settlement = new BookingSettlement(directory, store, chain, new SettlementOptions(PolicyParameters.Default, observedOnly),
            new SettlementCounters(), TimeProvider.System, NullLogger<BookingSettlement>.Instance);
        var presence = new SqliteStore(_temp.Db);
        var sessions = new StandaloneBookingSessions(directory, presence, grants, settlement, new SqliteSettlementStore(_temp.Db),
            TimeProvider.System, NullLogger<StandaloneBookingSessions>.Instance);
        return (sessions, store, presence);
    }

    [Fact]
    public async Task With_observed_events_deciding_a_join_is_recorded_while_the_settlement_decides()
    {
        var (sessions, store, presence) = Build(observedOnly: true);
        var evaluation = sessions.EvaluateAsync(Id, default);
        await store.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        try
        {
            var join = await sessions.JoinAsync(Id, Host, default).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(Party.Host, join.Value!.Party);
            Assert.Single(await presence.ListAsync(Id, default));
            Assert.False(evaluation.IsCompleted);
        }
        finally
        {
            store.Release();
        }
        Assert.IsType<Decision.Wait>((await evaluation).Decision);
    }

    [Fact]
    public async Task With_claims_deciding_a_join_waits_for_the_settlements_turn()
    {
        var (sessions, store, presence) = Build(observedOnly: false);
        var evaluation = sessions.EvaluateAsync(Id, default);
        await store.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var join = sessions.JoinAsync(Id, Host, default);
        await Task.Delay(100);
        Assert.False(join.IsCompleted);
        Assert.Empty(await presence.ListAsync(Id, default));

        store.Release();
        Assert.IsType<Decision.Wait>((await evaluation).Decision);
        Assert.Equal(Party.Host, (await join.WaitAsync(TimeSpan.FromSeconds(10))).Value!.Party);
        Assert.Single(await presence.ListAsync(Id, default));
    }
}
