using Microsoft.Extensions.Logging;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

internal static partial class SubmitterLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Refusing to sign: the node reports chain id {ActualChainId}, the oracle is configured for {ChainId}")]
    public static partial void ChainIdMismatch(this ILogger logger, ulong actualChainId, ulong chainId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent attestation of {BookingId} ({Outcome}) as {TxHash}, nonce {Nonce}")]
    public static partial void Sent(this ILogger logger, BookingId bookingId, Outcome outcome, Hash32 txHash, ulong nonce);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No receipt for {BookingId} in time; replaced with {TxHash}, nonce {Nonce}, replacement {Replacement}")]
    public static partial void Replaced(this ILogger logger, BookingId bookingId, Hash32 txHash, ulong nonce, int replacement);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The node refused {TxHash} for {BookingId}, nonce {Nonce}: {Error}")]
    public static partial void SendRefused(this ILogger logger, BookingId bookingId, Hash32 txHash, ulong nonce, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {TxHash} for {BookingId} was inconclusive ({Error}); tracking it as sent")]
    public static partial void SendInconclusive(this ILogger logger, BookingId bookingId, Hash32 txHash, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebroadcast {TxHash} for {BookingId}: {Answer}")]
    public static partial void Rebroadcast(this ILogger logger, BookingId bookingId, Hash32 txHash, string answer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Attestation of {BookingId} mined in block {BlockNumber}: {TxHash}")]
    public static partial void Mined(this ILogger logger, BookingId bookingId, ulong blockNumber, Hash32 txHash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attestation of {BookingId} reverted on chain in {TxHash}: {Reason}")]
    public static partial void Reverted(this ILogger logger, BookingId bookingId, Hash32 txHash, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Booking {BookingId} is {Status} on chain; no transaction")]
    public static partial void AlreadySettled(this ILogger logger, BookingId bookingId, BookingStatus status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The escrow refuses attest for {BookingId} ({Outcome}): {Reason}")]
    public static partial void Refused(this ILogger logger, BookingId bookingId, Outcome outcome, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking over the claim on {BookingId} made at {ClaimedAtUnixMs}: nothing was sent under it in time")]
    public static partial void TakingOver(this ILogger logger, BookingId bookingId, long claimedAtUnixMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nonce {Nonce} of {BookingId} was used by another transaction of the oracle key; attesting again with a new nonce")]
    public static partial void NonceTaken(this ILogger logger, BookingId bookingId, ulong nonce);

    [LoggerMessage(Level = LogLevel.Information, Message = "The claim on {BookingId} was released or taken over; following the record")]
    public static partial void ClaimLost(this ILogger logger, BookingId bookingId);

    [LoggerMessage(Level = LogLevel.Error, Message = "No receipt for {BookingId} after {Replacements} replacements; {TxHash} stays tracked")]
    public static partial void ReplacementsExhausted(this ILogger logger, BookingId bookingId, int replacements, Hash32 txHash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Booking {BookingId} was already submitted as {StoredOutcome} ({StoredMetricsHash}); the request for {Outcome} gets the stored result")]
    public static partial void RequestDiffers(this ILogger logger, BookingId bookingId, Outcome storedOutcome, Hash32 storedMetricsHash, Outcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Attestation of {BookingId} is final: block {BlockNumber} has {Confirmations} confirmations ({TxHash})")]
    public static partial void Final(this ILogger logger, BookingId bookingId, ulong blockNumber, ulong confirmations, Hash32 txHash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The attestation of {BookingId} ({TxHash}, block {BlockNumber}) left the canonical chain and the booking is Booked again: sending the same transaction again")]
    public static partial void Reorged(this ILogger logger, BookingId bookingId, Hash32 txHash, ulong blockNumber);
}
