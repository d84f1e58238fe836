using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors;

/// <summary>Conversions between Core's types and the actors' JSON contracts.</summary>
public static class ActorDtos
{
    public static PresenceDto ToDto(this PresenceEvent e, string? claimId = null) => new(e.Party, e.Kind, e.AtMs, (int)e.Source, claimId);

    public static PresenceEvent ToEvent(this PresenceDto d) => new(d.Party, d.Kind, d.AtMs, (PresenceSource)d.Source);

    public static AttestationDto ToDto(this StoredAttestation a) => new(
        (int)a.Outcome, a.Source, Hex.Encode(a.Preimage), a.MetricsHash.ToString(), a.TxHash?.ToString(), a.Status, a.Detail, a.CreatedAtUnix, a.UpdatedAtUnix);

    public static StoredAttestation ToStored(this AttestationDto d, BookingId id) => new(
        id, (Outcome)d.Outcome, d.Source, Hex.Decode(d.Preimage), Hash32.Parse(d.MetricsHash), d.TxHash is null ? null : Hash32.Parse(d.TxHash),
        d.Status, d.Detail, d.CreatedAtUnix, d.UpdatedAtUnix);

    public static AttestationRequestDto ToDto(this AttestationRequest r) => new(r.BookingId.ToString(), (int)r.Outcome, r.MetricsHash.ToString(), r.GasEstimate);

    public static AttestationRequest ToRequest(this AttestationRequestDto d) => new(BookingId.Parse(d.BookingId), (Outcome)d.Outcome, Hash32.Parse(d.MetricsHash)) { GasEstimate = d.GasEstimate };

    public static SubmissionResultDto ToDto(this SubmissionResult result) => result switch
    {
        SubmissionResult.Mined { Final: true } m => new(SubmissionKind.Final, m.TxHash.ToString(), m.BlockNumber, 0, 0, null, null),
        SubmissionResult.Mined m => new(SubmissionKind.Mined, m.TxHash.ToString(), m.BlockNumber, 0, 0, null, null),
        SubmissionResult.Pending p => new(SubmissionKind.Pending, p.TxHash?.ToString(), 0, 0, 0, null, p.Reason),
        SubmissionResult.AlreadySettled s => new(SubmissionKind.AlreadySettled, s.TxHash?.ToString(), 0, (int)s.OnChainStatus, (int)s.OnChainOutcome, null, null),
        SubmissionResult.NotDueYet n => new(SubmissionKind.NotDueYet, null, 0, 0, 0, n.Error.Kind, n.Error.Reason.ToString()),
        SubmissionResult.WindowMissed w => new(SubmissionKind.WindowMissed, null, 0, 0, 0, w.Error.Kind, w.Error.Reason.ToString()),
        SubmissionResult.Failed f => new(SubmissionKind.Failed, null, 0, 0, 0, null, f.Reason),
        _ => new(SubmissionKind.Failed, null, 0, 0, 0, null, "unknown result"),
    };

    public static SubmissionResult ToResult(this SubmissionResultDto d) => d.Kind switch
    {
        SubmissionKind.Final => new SubmissionResult.Mined(Hash32.Parse(d.TxHash!), d.BlockNumber) { Final = true },
        SubmissionKind.Mined => new SubmissionResult.Mined(Hash32.Parse(d.TxHash!), d.BlockNumber),
        SubmissionKind.Pending => new SubmissionResult.Pending(d.TxHash is null ? null : Hash32.Parse(d.TxHash), d.Reason ?? SubmissionReasons.WaitingForReceipt),
        SubmissionKind.AlreadySettled => new SubmissionResult.AlreadySettled((BookingStatus)d.OnChainStatus, (Outcome)d.OnChainOutcome, d.TxHash is null ? null : Hash32.Parse(d.TxHash)),
        SubmissionKind.NotDueYet => new SubmissionResult.NotDueYet(Error(d)),
        SubmissionKind.WindowMissed => new SubmissionResult.WindowMissed(Error(d)),
        _ => new SubmissionResult.Failed(d.Reason ?? "failed"),
    };

    public static PreflightDto ToDto(this Preflight p) => new(p.Refusal?.Kind, p.Refusal?.Reason.ToString(), p.AnythingSent);

    public static Preflight ToPreflight(this PreflightDto d) => new(
        d.RefusalKind is { } kind ? new EscrowError(Enum.IsDefined(kind) ? kind : EscrowErrorKind.Unknown, new RevertReason.ErrorString(d.RefusalReason ?? string.Empty)) : null,
        d.AnythingSent);

    private static EscrowError Error(SubmissionResultDto d) =>
        new(d.ErrorKind is { } kind && Enum.IsDefined(kind) ? kind : EscrowErrorKind.Unknown, new RevertReason.ErrorString(d.Reason ?? string.Empty));
}
