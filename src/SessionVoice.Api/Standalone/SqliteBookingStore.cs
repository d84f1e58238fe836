using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Standalone;

/// <summary>Standalone <see cref="IBookingStore"/>: the booking's rows in the SQLite tables.</summary>
public sealed class SqliteBookingStore(IPresenceStore claims, SqliteObservedStore observed, SqliteSettlementStore settlement) : IBookingStore
{
    public Task<IReadOnlyList<PresenceEvent>> ClaimsAsync(BookingId id, CancellationToken ct) => claims.ListAsync(id, ct);

    public Task<IReadOnlyList<ObservedEvent>> ObservedAsync(BookingId id, CancellationToken ct) => Task.FromResult(observed.List(id));

    public Task<StoredAttestation?> GetAttestationAsync(BookingId id, CancellationToken ct) => Task.FromResult(settlement.GetAttestation(id));

    public Task<bool> TryRecordDecisionAsync(StoredAttestation attestation, CancellationToken ct) => Task.FromResult(settlement.TryRecordDecision(attestation));

    public Task ReplaceDecisionAsync(StoredAttestation attestation, CancellationToken ct)
    {
        settlement.ReplaceDecision(attestation);
        return Task.CompletedTask;
    }

    public Task UpdateAttestationAsync(BookingId id, AttestationStatus status, Hash32? txHash, string? detail, long nowUnix, CancellationToken ct)
    {
        settlement.UpdateAttestation(id, status, txHash, detail, nowUnix);
        return Task.CompletedTask;
    }

    public Task AuditAsync(BookingId id, string actor, string action, string detail, long nowUnix, CancellationToken ct)
    {
        settlement.Audit(actor, action, id, detail, nowUnix);
        return Task.CompletedTask;
    }

    public Task ScheduleAsync(BookingId id, long? dueAtUnix, string decision, long nowUnix, CancellationToken ct)
    {
        settlement.Schedule(id, dueAtUnix, decision, nowUnix);
        return Task.CompletedTask;
    }

    public Task<long?> DueAtAsync(BookingId id, CancellationToken ct) => Task.FromResult(settlement.GetTracked(id)?.DueAtUnix);
}
