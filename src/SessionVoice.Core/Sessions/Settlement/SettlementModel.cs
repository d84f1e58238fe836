using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Sessions.Settlement;

public enum AttestationStatus
{
    /// <summary>Decided and committed to; the transaction may be in flight.</summary>
    Pending,

    /// <summary>Our transaction has a receipt; checked until it has enough confirmations (a reorg sends it back to Pending).</summary>
    Mined,

    /// <summary>Mined under the configured confirmations: nothing more to do.</summary>
    Final,
    /// <summary>The chain already had an outcome (another attester, a cancellation, a claim): no transaction of ours.</summary>
    Settled,
    WindowMissed,
    Failed,
}

/// <summary>What this service decided for a booking, with the preimage anyone can re-hash.</summary>
public sealed record StoredAttestation(
    BookingId BookingId,
    Outcome Outcome,
    byte Source,
    byte[] Preimage,
    Hash32 MetricsHash,
    Hash32? TxHash,
    AttestationStatus Status,
    string? Detail,
    long CreatedAtUnix,
    long UpdatedAtUnix);

/// <summary>
/// One booking's persistent session state, whatever holds it: SQLite rows in standalone mode, the
/// booking actor's state in Dapr mode. Every change commits before the call returns.
/// </summary>
public interface IBookingStore
{
    Task<IReadOnlyList<PresenceEvent>> ClaimsAsync(BookingId id, CancellationToken ct);

    Task<IReadOnlyList<Agora.Ncs.ObservedEvent>> ObservedAsync(BookingId id, CancellationToken ct);

    Task<StoredAttestation?> GetAttestationAsync(BookingId id, CancellationToken ct);

    /// <summary>Records the decision; false when one is already recorded (it stands).</summary>
    Task<bool> TryRecordDecisionAsync(StoredAttestation attestation, CancellationToken ct);

    /// <summary>Overwrites the recorded decision: only for an operator's forced outcome replacing an earlier force nothing was sent for.</summary>
    Task ReplaceDecisionAsync(StoredAttestation attestation, CancellationToken ct);

    Task UpdateAttestationAsync(BookingId id, AttestationStatus status, Hash32? txHash, string? detail, long nowUnix, CancellationToken ct);

    /// <summary>Appends an operator's action on the booking (a forced outcome, accepted or refused) to its audit trail.</summary>
    Task AuditAsync(BookingId id, string actor, string action, string detail, long nowUnix, CancellationToken ct);

    /// <summary>The next wake-up (null: finished) and a short note of the decision behind it.</summary>
    Task ScheduleAsync(BookingId id, long? dueAtUnix, string decision, long nowUnix, CancellationToken ct);

    Task<long?> DueAtAsync(BookingId id, CancellationToken ct);
}
