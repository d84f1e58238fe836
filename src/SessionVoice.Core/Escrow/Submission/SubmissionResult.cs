using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>What the oracle wants on chain for one booking. The booking id is the idempotency key.</summary>
public sealed record AttestationRequest(BookingId BookingId, Outcome Outcome, Hash32 MetricsHash)
{
    /// <summary>The transaction the caller's record shows for this attestation (a check, not a first send); null: none yet.</summary>
    public Hash32? SentHash { get; init; }

    /// <summary>For an attestation still pending: when the caller's record last changed (unix seconds), e.g. when <see cref="SentHash"/> was recorded.</summary>
    public long? PendingSinceUnix { get; init; }

    /// <summary>
    /// Gas the caller estimated for this very call from the oracle's address just before asking (it would not revert,
    /// so the booking was Booked): the submitter then skips its own re-read and estimate. Lets Dapr mode prepare in the
    /// booking actors' turns, in parallel, and keep the oracle actor's one-at-a-time turns to claim, sign and send.
    /// </summary>
    public ulong? GasEstimate { get; init; }
}

/// <summary>How a submission ended. Expected outcomes are results; only infrastructure failures throw.</summary>
public abstract record SubmissionResult
{
    /// <summary>Our attestation is in block <paramref name="BlockNumber"/> (now or by an earlier call).</summary>
    public sealed record Mined(Hash32 TxHash, ulong BlockNumber) : SubmissionResult
    {
        /// <summary>Buried under <see cref="SubmitterOptions.Confirmations"/> blocks: nothing more to check.</summary>
        public bool Final { get; init; }
    }

    /// <summary>
    /// Sent (or being sent by another submitter, or waiting for its turn) and not mined yet: check again later.
    /// Nobody waits for a block; <paramref name="Reason"/> is a classified, public reason (never a node's own text).
    /// </summary>
    public sealed record Pending(Hash32? TxHash, string Reason) : SubmissionResult
    {
        /// <summary>When a check is worth it again, if the submitter knows better than the caller (a long queue for a place).</summary>
        public TimeSpan? CheckAfter { get; init; }
    }

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

    /// <summary>
    /// NotOracle, a chain id mismatch, the node refusing the transaction (e.g. insufficient funds), a revert for
    /// another reason, or no receipt after every replacement. <paramref name="Reason"/> is classified and public
    /// (<see cref="SubmissionReasons"/>); the node's own words go to the log only.
    /// </summary>
    public sealed record Failed(string Reason) : SubmissionResult;
}
