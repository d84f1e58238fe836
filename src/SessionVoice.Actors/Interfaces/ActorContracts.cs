using Dapr.Actors;

namespace SessionVoice.Actors.Interfaces;

/// <summary>A presence event as the actors carry it (JSON): party "Host"/"Guest", kind "Join"/"Leave".</summary>
public sealed record PresenceDto(string Party, string Kind, long AtMs, int Source);

/// <summary>An Agora-observed join/leave, as received.</summary>
/// <summary>One entry of a booking's audit trail: when (unix seconds), who, what, and the verdict.</summary>
public sealed record AuditDto(long AtUnix, string Actor, string Action, string Detail);

public sealed record ObservedDto(string NoticeId, uint Uid, long ClientSeq, long TsSeconds, bool IsJoin, int? Reason);

public sealed record AttestationDto(
    int Outcome, byte Source, string Preimage, string MetricsHash, string? TxHash, string Status, string? Detail, long CreatedAtUnix, long UpdatedAtUnix);

/// <summary>Everything a booking actor holds.</summary>
public sealed record BookingStateDto(IReadOnlyList<PresenceDto> Claims, IReadOnlyList<ObservedDto> Observed, AttestationDto? Attestation, long? DueAtUnix, string? LastDecision);

/// <summary>What an attest call came to: an attestation, or a refusal ("not_found", "not_active", "not_due", "window_missed").</summary>
/// <summary><c>Reason</c>: why a forced outcome was refused (with <c>Refusal</c> "force_refused").</summary>
public sealed record AttestResultDto(string? Refusal, AttestationDto? Attestation, int OnChainOutcome, long? NotBeforeUnix, string? Reason = null);

/// <summary>An attest call: decide now, or take <c>ForceOutcome</c> (1–3) on behalf of <c>Actor</c> (audited). One argument: actor methods take one.</summary>
public sealed record AttestRequestDto(int? ForceOutcome, string? Actor);

public sealed record AttestationRequestDto(string BookingId, int Outcome, string MetricsHash);

/// <summary>A submission result across the actor boundary; <c>Kind</c> names the SubmissionResult case.</summary>
public sealed record SubmissionResultDto(string Kind, string? TxHash, ulong BlockNumber, int OnChainStatus, int OnChainOutcome, string? ErrorKind, string? Reason);

/// <summary>A preflight across the actor boundary: the contract's refusal (null: it would take it) and whether anything was sent.</summary>
public sealed record PreflightDto(string? RefusalKind, string? RefusalReason, bool AnythingSent);

/// <summary>One actor per booking (id = the canonical decimal booking id): the booking's session state and its reminders.</summary>
public interface IBookingActor : IActor
{
    Task RecordClaimAsync(PresenceDto claim);

    /// <summary>Stores an observed event unless its notice or (uid, clientSeq) is already stored; true when stored.</summary>
    Task<bool> RecordObservedAsync(ObservedDto observed);

    Task<BookingStateDto> GetStateAsync();

    /// <summary>Schedules the booking's first decision (idempotent): a booking settles even if nobody joins.</summary>
    Task TrackAsync();

    /// <summary>Decides now (or takes the request's forced outcome, 1–3, audited) and takes one submission step.</summary>
    Task<AttestResultDto> AttestAsync(AttestRequestDto request);
}

/// <summary>One actor per oracle address: the only sender of that key's transactions, so replicas never race for nonces.</summary>
public interface IOracleActor : IActor
{
    /// <summary>One step, never waiting for a block: sends when nothing is recorded, otherwise checks what was sent.</summary>
    Task<SubmissionResultDto> SubmitAsync(AttestationRequestDto request);

    /// <summary>Simulates the attestation and tells whether anything was sent for the booking (for forced outcomes).</summary>
    Task<PreflightDto> PreflightAsync(AttestationRequestDto request);

    /// <summary>Sends again the transactions persisted before a restart (the same bytes); the bookings' checks take it from there.</summary>
    Task<int> ResumeAsync();
}
