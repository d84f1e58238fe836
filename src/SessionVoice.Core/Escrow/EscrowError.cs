using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>Why the escrow refused a call, from its revert reason strings.</summary>
public enum EscrowErrorKind
{
    Unknown,
    NotOracle,
    NotBooked,
    BadOutcome,
    GraceNotOver,
    NoShowTooLate,
    OverlapNotMet,
    TooLate,
}

public sealed record EscrowError(EscrowErrorKind Kind, RevertReason Reason)
{
    /// <summary>Timing reverts: the attestation came before its window opened.</summary>
    public bool IsNotDueYet => Kind is EscrowErrorKind.GraceNotOver or EscrowErrorKind.OverlapNotMet;

    /// <summary>Timing reverts: the window has closed for good.</summary>
    public bool IsWindowMissed => Kind is EscrowErrorKind.NoShowTooLate or EscrowErrorKind.TooLate;

    public static EscrowError FromRevert(RevertReason reason) => new(
        reason is RevertReason.ErrorString { Message: var message }
            ? message switch
            {
                "NOT_ORACLE" => EscrowErrorKind.NotOracle,
                "NOT_BOOKED" => EscrowErrorKind.NotBooked,
                "BAD_OUTCOME" or "BAD_ATTEST_OUTCOME" => EscrowErrorKind.BadOutcome,
                "GRACE_NOT_OVER" => EscrowErrorKind.GraceNotOver,
                "NO_SHOW_TOO_LATE" => EscrowErrorKind.NoShowTooLate,
                "OVERLAP_NOT_MET" => EscrowErrorKind.OverlapNotMet,
                "TOO_LATE" => EscrowErrorKind.TooLate,
                _ => EscrowErrorKind.Unknown,
            }
            : EscrowErrorKind.Unknown,
        reason);

    public override string ToString() => $"{Kind} ({Reason})";
}

/// <summary>An escrow call reverted; <see cref="Error"/> says why in the contract's own terms.</summary>
public sealed class EscrowRevertException(EscrowError error, RpcException inner)
    : Exception($"escrow reverted: {error}", inner)
{
    public EscrowError Error { get; } = error;
}
