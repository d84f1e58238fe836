using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Sessions;

public enum SessionRefusal
{
    None,
    NotFound,
    NotActive,
    NotParticipant,
    TooEarly,
    Ended,
    ChannelUnavailable,
    NotDue,
    WindowMissed,

    /// <summary>An operator's forced outcome the contract (or a standing decision) refuses; nothing was stored.</summary>
    ForceRefused,
}

/// <summary>Entry to a booking's channel: the channel, the caller's uid and a token.</summary>
public sealed record JoinGrant(AgoraChannel Channel, uint Uid, Party Party, IssuedRtcToken Token);

/// <summary>Who was in the channel, as the service knows it so far.</summary>
public sealed record SessionReport(
    BookingSnapshot Booking,
    PresenceLog Presence,
    IReadOnlyList<PresenceEvent> Events,
    PresenceLog Claims,
    long NowMs,
    Decision Decision,
    PresenceSummary Summary,
    string DecisionSource,
    StoredAttestation? Attestation)
{
    /// <summary>The report both runtimes give: the policy's answer now over the deciding events.</summary>
    public static SessionReport Build(
        BookingSnapshot booking, IReadOnlyList<PresenceEvent> claims, IReadOnlyList<PresenceEvent> deciding, DateTimeOffset now,
        PolicyParameters policy, MetricsSource source, StoredAttestation? attestation) => new(
        booking,
        new PresenceLog(deciding),
        deciding,
        new PresenceLog(claims),
        now.ToUnixTimeMilliseconds(),
        OutcomePolicy.Decide(booking, deciding, now.ToUnixTimeSeconds(), policy),
        OutcomePolicy.Summarize(booking, deciding, now.ToUnixTimeSeconds(), policy),
        source == MetricsSource.Observed ? "observed" : "claimed",
        attestation);
}

public sealed record SessionResult<T>(SessionRefusal Refusal, T? Value);

public static class SessionResult
{
    public static SessionResult<T> Refused<T>(SessionRefusal refusal) => new(refusal, default);

    public static SessionResult<T> Ok<T>(T value) => new(SessionRefusal.None, value);
}

/// <summary>An attestation request from the service endpoint; <c>ForceOutcome</c> only when allowed.</summary>
public sealed record AttestCommand(Outcome? ForceOutcome, string Actor);

/// <summary>The attestation as it stands, or (for a booking another party settled) what the chain says.</summary>
public sealed record AttestationView(Outcome Outcome, Hash32? TxHash, string Status, long? NotBeforeUnix)
{
    /// <summary>Why it is still pending, or why a force was refused: a classified reason, never a node's own text.</summary>
    public string? Reason { get; init; }
}

/// <summary>The one port every per-booking operation goes through (architecture.md).</summary>
public interface IBookingSessions
{
    /// <summary>Checks the join rules, records a join claim (persisted) and returns a token.</summary>
    Task<SessionResult<JoinGrant>> JoinAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>A fresh token for the same channel and uid, under the same rules; records nothing.</summary>
    Task<SessionResult<JoinGrant>> RenewAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>Records a leave claim; the value is how long the caller's current visit lasted.</summary>
    Task<SessionResult<long?>> LeaveAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>The session so far, for its host or guest only.</summary>
    Task<SessionResult<SessionReport>> ReportAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>Decides now (or takes the forced outcome) and attests; a stored result is returned as it is.</summary>
    Task<SessionResult<AttestationView>> AttestAsync(BookingId id, AttestCommand command, CancellationToken ct);
}
