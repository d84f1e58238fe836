using System.Text.Json.Serialization;
using Dapr.Actors;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors.Interfaces;

// The actors' JSON (UseJsonSerialization, System.Text.Json with the Web defaults) writes an enum as its number
// unless told otherwise. Values kept in actor state (presence, attestation status) are written by name, as they
// were when these fields were strings, so state saved before reads the same; values that only cross the actor
// boundary are numbers with fixed values.

/// <summary>A presence event as the actors carry it. <c>ClaimId</c>: chosen by the caller, so a retried call stores it once.</summary>
public sealed record PresenceDto(
    [property: JsonConverter(typeof(JsonStringEnumConverter<Party>))] Party Party,
    [property: JsonConverter(typeof(JsonStringEnumConverter<PresenceKind>))] PresenceKind Kind,
    long AtMs,
    int Source,
    string? ClaimId = null);

/// <summary>One entry of a booking's audit trail: when (unix seconds), who, what, and the verdict.</summary>
public sealed record AuditDto(long AtUnix, string Actor, string Action, string Detail);

public sealed record AttestationDto(
    int Outcome, byte Source, string Preimage, string MetricsHash, string? TxHash,
    [property: JsonConverter(typeof(JsonStringEnumConverter<AttestationStatus>))] AttestationStatus Status,
    string? Detail, long CreatedAtUnix, long UpdatedAtUnix);

/// <summary>Everything a booking actor holds.</summary>
public sealed record BookingStateDto(IReadOnlyList<PresenceDto> Claims, IReadOnlyList<ObservedEvent> Observed, AttestationDto? Attestation, long? DueAtUnix, string? LastDecision);

/// <summary>Why an attest call produced no attestation to act on (numbers on the wire: keep the values).</summary>
public enum AttestRefusal
{
    NotFound = 1,
    NotActive = 2,
    NotDue = 3,
    WindowMissed = 4,
    ForceRefused = 5,
}

/// <summary>What an attest call came to: an attestation, or a refusal. <c>Reason</c>: why a forced outcome was refused (<see cref="AttestRefusal.ForceRefused"/>).</summary>
public sealed record AttestResultDto(AttestRefusal? Refusal, AttestationDto? Attestation, int OnChainOutcome, long? NotBeforeUnix, string? Reason = null);

/// <summary>An attest call: decide now, or take <c>ForceOutcome</c> (1–3) on behalf of <c>Actor</c> (audited). One argument: actor methods take one.</summary>
public sealed record AttestRequestDto(int? ForceOutcome, string? Actor);

/// <summary>An attestation to submit; <c>GasEstimate</c>: prepared by the caller (see <see cref="AttestationRequest.GasEstimate"/>), absent when not.</summary>
public sealed record AttestationRequestDto(string BookingId, int Outcome, string MetricsHash, ulong? GasEstimate = null);

/// <summary>Which <see cref="SubmissionResult"/> case a submission came to (numbers on the wire: keep the values).</summary>
public enum SubmissionKind
{
    Failed = 0,
    Final = 1,
    Mined = 2,
    Pending = 3,
    AlreadySettled = 4,
    NotDueYet = 5,
    WindowMissed = 6,
}

/// <summary>A submission result across the actor boundary.</summary>
public sealed record SubmissionResultDto(SubmissionKind Kind, string? TxHash, ulong BlockNumber, int OnChainStatus, int OnChainOutcome, EscrowErrorKind? ErrorKind, string? Reason);

/// <summary>A preflight across the actor boundary: the contract's refusal (null: it would take it) and whether anything was sent.</summary>
public sealed record PreflightDto(EscrowErrorKind? RefusalKind, string? RefusalReason, bool AnythingSent);

/// <summary>
/// What tracking found: <c>Finished</c> when the booking has nothing left to decide (no wake-up set, a decision taken);
/// <c>WindowClosesAtUnix</c>, the last second the contract takes any outcome for it (null: the booking could not be read).
/// </summary>
public sealed record TrackResultDto(bool Finished, long? WindowClosesAtUnix);

/// <summary>One actor per booking (id = the canonical decimal booking id): the booking's session state and its reminders.</summary>
public interface IBookingActor : IActor
{
    /// <summary>Stores the claim unless one with its <c>ClaimId</c> is stored already (a retried call); true when stored.</summary>
    Task<bool> RecordClaimAsync(PresenceDto claim);

    /// <summary>Stores an observed event unless its notice or (uid, clientSeq) is already stored; true when stored.</summary>
    Task<bool> RecordObservedAsync(ObservedEvent observed);

    Task<BookingStateDto> GetStateAsync();

    /// <summary>Schedules the booking's first decision (idempotent; re-arms the reminder of an unfinished booking): a booking settles even if nobody joins.</summary>
    Task<TrackResultDto> TrackAsync();

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

/// <summary>A sign-in attempt's single-use key: a signed message's timestamp, or a nonce (with their expiry, unix seconds).</summary>
public sealed record SignInUseDto(long? MessageTimestamp, string? Nonce, long ExpiresAtUnix, long NowUnix);

/// <summary>
/// One actor per wallet (id = lowercase address): the signed-timestamp messages and nonces it has used, each
/// kept with an actor-state TTL until it could no longer be accepted anyway. One turn at a time across all
/// replicas, so a check and its write are one step cluster-wide.
/// </summary>
public interface ISignInActor : IActor
{
    /// <summary>Records the message or nonce as used; false when it was used before (a replay).</summary>
    Task<bool> TryUseAsync(SignInUseDto use);
}

/// <summary>What a watcher turn came to.</summary>
public sealed record WatchResultDto(int Pages, int Booked, int Cancelled, int Attested, ulong NextBlock, ulong Rewound, int Healed, bool CaughtUp);

/// <summary>
/// One actor per escrow address: the cluster's only reader of the escrow's logs. Its state holds the cursor, the
/// recent block hashes (reorg detection) and the unfinished bookings it has handed over.
/// </summary>
public interface IWatcherActor : IActor
{
    /// <summary>Reads at most <paramref name="maxPages"/> pages of new logs, hands new bookings to their actors and re-tracks unfinished ones due for it.</summary>
    Task<WatchResultDto> PollAsync(int maxPages);
}
