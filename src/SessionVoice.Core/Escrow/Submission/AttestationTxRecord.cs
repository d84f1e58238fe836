using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

public enum AttestationTxState
{
    /// <summary>Owned by one submitter (see <see cref="AttestationTxRecord.ClaimToken"/>); nothing of it on chain yet.</summary>
    Claimed,

    /// <summary>At least one signed transaction was persisted and may be in a pool.</summary>
    Sent,

    /// <summary>
    /// Our attestation has a successful receipt (<see cref="AttestationTxRecord.MinedHash"/>), not yet buried under
    /// the configured confirmations: every check makes sure its block is still canonical.
    /// </summary>
    Mined,

    /// <summary>Mined and confirmed: the receipt's block has <see cref="SubmitterOptions.Confirmations"/> blocks on top (itself included).</summary>
    Final,

    /// <summary>The booking was settled without us (AlreadySettled).</summary>
    Settled,

    /// <summary>Terminal: window missed or reverted on chain for another reason.</summary>
    Failed,
}

/// <summary>
/// One signed transaction, persisted before it is sent. For legacy transactions both fee fields hold the gas price.
/// </summary>
public sealed record SentTransaction(Hash32 Hash, byte[] Raw, ulong Nonce, BigInteger MaxFeePerGas, BigInteger MaxPriorityFeePerGas, long SentAtUnixMs)
{
    /// <summary>Kept so a replacement after a restart reuses it: re-estimating with the original pending can revert NOT_BOOKED.</summary>
    public ulong GasLimit { get; init; }

    /// <summary>EIP-2718: a typed envelope starts with its type byte, a legacy RLP list with 0xc0 or above.</summary>
    public TransactionType Type => Raw.Length > 0 && Raw[0] < 0x80 ? TransactionType.Eip1559 : TransactionType.Legacy;
}

/// <summary>
/// Everything this key did for one booking. <see cref="Sent"/> holds every hash sent for the nonce in
/// use (a replaced hash never gets a receipt, so all of them are polled).
/// </summary>
public sealed record AttestationTxRecord(
    BookingId BookingId,
    Outcome Outcome,
    Hash32 MetricsHash,
    AttestationTxState State,
    IReadOnlyList<SentTransaction> Sent,
    Hash32? MinedHash,
    string? Error)
{
    /// <summary>
    /// Fencing token of the claim that created the record. <see cref="IAttestationTxStore.UpdateAsync"/>
    /// refuses a record whose token no longer matches, so a submitter whose stale claim was taken over
    /// cannot send under it.
    /// </summary>
    public string? ClaimToken { get; init; }

    public long ClaimedAtUnixMs { get; init; }

    public ulong? MinedBlockNumber { get; init; }

    /// <summary>The block of the receipt, so a check can tell a re-mined block of the same height from the one it saw.</summary>
    public Hash32? MinedBlockHash { get; init; }

    /// <summary>Claimed or sent: a transaction of ours may still be on its way (what a restart resumes).</summary>
    public bool IsInFlight => State is AttestationTxState.Claimed or AttestationTxState.Sent;

    /// <summary>Nothing more will be sent or checked: confirmed, settled without us, or failed for good.</summary>
    public bool IsFinished => State is AttestationTxState.Final or AttestationTxState.Settled or AttestationTxState.Failed;
}
