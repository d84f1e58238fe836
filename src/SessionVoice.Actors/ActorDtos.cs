using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Actors;

/// <summary>Conversions between Core's types and the actors' JSON contracts.</summary>
public static class ActorDtos
{
    public static PresenceDto ToDto(this PresenceEvent e) => new(e.Party.ToString(), e.Kind.ToString(), e.AtMs, (int)e.Source);

    public static PresenceEvent ToEvent(this PresenceDto d) => new(Enum.Parse<Party>(d.Party), Enum.Parse<PresenceKind>(d.Kind), d.AtMs, (PresenceSource)d.Source);

    public static ObservedDto ToDto(this ObservedEvent e) => new(e.NoticeId, e.Uid, e.ClientSeq, e.TsSeconds, e.IsJoin, e.Reason);

    public static ObservedEvent ToEvent(this ObservedDto d) => new(d.NoticeId, d.Uid, d.ClientSeq, d.TsSeconds, d.IsJoin, d.Reason);

    public static AttestationDto ToDto(this StoredAttestation a) => new(
        (int)a.Outcome, a.Source, Hex.Encode(a.Preimage), a.MetricsHash.ToString(), a.TxHash?.ToString(), a.Status.ToString(), a.Detail, a.CreatedAtUnix, a.UpdatedAtUnix);

    public static StoredAttestation ToStored(this AttestationDto d, BookingId id) => new(
        id, (Outcome)d.Outcome, d.Source, Hex.Decode(d.Preimage), Hash32.Parse(d.MetricsHash), d.TxHash is null ? null : Hash32.Parse(d.TxHash),
        Enum.Parse<AttestationStatus>(d.Status), d.Detail, d.CreatedAtUnix, d.UpdatedAtUnix);

    public static AttestationRequestDto ToDto(this AttestationRequest r) => new(r.BookingId.ToString(), (int)r.Outcome, r.MetricsHash.ToString());

    public static AttestationRequest ToRequest(this AttestationRequestDto d) => new(BookingId.Parse(d.BookingId), (Outcome)d.Outcome, Hash32.Parse(d.MetricsHash));

    public static SubmissionResultDto ToDto(this SubmissionResult result) => result switch
    {
        SubmissionResult.Mined { Final: true } m => new("Final", m.TxHash.ToString(), m.BlockNumber, 0, 0, null, null),
        SubmissionResult.Mined m => new("Mined", m.TxHash.ToString(), m.BlockNumber, 0, 0, null, null),
        SubmissionResult.Pending p => new("Pending", p.TxHash?.ToString(), 0, 0, 0, null, p.Reason),
        SubmissionResult.AlreadySettled s => new("AlreadySettled", s.TxHash?.ToString(), 0, (int)s.OnChainStatus, (int)s.OnChainOutcome, null, null),
        SubmissionResult.NotDueYet n => new("NotDueYet", null, 0, 0, 0, n.Error.Kind.ToString(), n.Error.Reason.ToString()),
        SubmissionResult.WindowMissed w => new("WindowMissed", null, 0, 0, 0, w.Error.Kind.ToString(), w.Error.Reason.ToString()),
        SubmissionResult.Failed f => new("Failed", null, 0, 0, 0, null, f.Reason),
        _ => new("Failed", null, 0, 0, 0, null, "unknown result"),
    };

    public static SubmissionResult ToResult(this SubmissionResultDto d) => d.Kind switch
    {
        "Final" => new SubmissionResult.Mined(Hash32.Parse(d.TxHash!), d.BlockNumber) { Final = true },
        "Mined" => new SubmissionResult.Mined(Hash32.Parse(d.TxHash!), d.BlockNumber),
        "Pending" => new SubmissionResult.Pending(d.TxHash is null ? null : Hash32.Parse(d.TxHash), d.Reason ?? SubmissionReasons.WaitingForReceipt),
        "AlreadySettled" => new SubmissionResult.AlreadySettled((BookingStatus)d.OnChainStatus, (Outcome)d.OnChainOutcome, d.TxHash is null ? null : Hash32.Parse(d.TxHash)),
        "NotDueYet" => new SubmissionResult.NotDueYet(Error(d)),
        "WindowMissed" => new SubmissionResult.WindowMissed(Error(d)),
        _ => new SubmissionResult.Failed(d.Reason ?? "failed"),
    };

    public static PreflightDto ToDto(this Preflight p) => new(p.Refusal?.Kind.ToString(), p.Refusal?.Reason.ToString(), p.AnythingSent);

    public static Preflight ToPreflight(this PreflightDto d) => new(
        d.RefusalKind is null ? null : new EscrowError(Enum.TryParse<EscrowErrorKind>(d.RefusalKind, out var kind) ? kind : EscrowErrorKind.Unknown, new RevertReason.ErrorString(d.RefusalReason ?? string.Empty)),
        d.AnythingSent);

    private static EscrowError Error(SubmissionResultDto d) =>
        new(Enum.TryParse<EscrowErrorKind>(d.ErrorKind, out var kind) ? kind : EscrowErrorKind.Unknown, new RevertReason.ErrorString(d.Reason ?? string.Empty));
}
