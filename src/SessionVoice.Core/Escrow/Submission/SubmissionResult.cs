using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>What the oracle wants on chain for one booking. The booking id is the idempotency key.</summary>
public sealed record AttestationRequest(BookingId BookingId, Outcome Outcome, Hash32 MetricsHash);

/// <summary>How a submission ended. Expected outcomes are results; only infrastructure failures throw.</summary>
public abstract record SubmissionResult
{
    /// <summary>Our attestation is in block <paramref name="BlockNumber"/> (now or by an earlier call).</summary>
    public sealed record Mined(Hash32 TxHash, ulong BlockNumber) : SubmissionResult;

    /// <summary>
    /// The booking was no longer Booked (before sending, or our transaction lost a race and reverted
    /// NOT_BOOKED): success without a new transaction. <paramref name="TxHash"/> is our reverted
    /// transaction when there was one.
    /// </summary>
    public sealed record AlreadySettled(BookingStatus OnChainStatus, Outcome OnChainOutcome, Hash32? TxHash) : SubmissionResult;

    /// <summary>The contract's window has not opened yet. Nothing is pending and the booking is free to retry.</summary>
    public sealed record NotDueYet(EscrowError Error) : SubmissionResult;

    /// <summary>The window has closed for good: terminal, the contract's fallback refunds the guest.</summary>
    public sealed record WindowMissed(EscrowError Error) : SubmissionResult;

    /// <summary>NotOracle, a chain id mismatch, a revert for another reason, or no receipt after every replacement.</summary>
    public sealed record Failed(string Reason) : SubmissionResult;
}
