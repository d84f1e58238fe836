using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Sessions;

/// <summary>
/// Everything the on-chain <c>metricsHash</c> commits to (escrow-and-attestation.md, "Metrics
/// commitment"). Kept with the attestation and served by <c>/session/:id/stats</c> so either party can
/// recompute the hash. Times are unix seconds and lengths whole seconds (0 when absent).
/// </summary>
public sealed record MetricsPreimage(
    ulong ChainId,
    Address Escrow,
    BookingId BookingId,
    Outcome Outcome,
    MetricsSource Source,
    ulong HostFirstJoin,
    ulong HostLastLeave,
    ulong GuestFirstJoin,
    ulong GuestLastLeave,
    ulong HostPresentSeconds,
    ulong GuestPresentSeconds,
    ulong OverlapSeconds,
    Hash32 EvidenceRoot)
{
    /// <summary>The layout version, the first word of the encoding.</summary>
    public const byte Version = 1;

    /// <summary>
    /// <c>abi.encode(uint8 version, uint256 chainId, address escrow, uint256 bookingId, uint8 outcome,
    /// uint8 source, uint64 hostFirstJoin, uint64 hostLastLeave, uint64 guestFirstJoin,
    /// uint64 guestLastLeave, uint64 hostPresentSeconds, uint64 guestPresentSeconds,
    /// uint64 overlapSeconds, bytes32 evidenceRoot)</c>: 14 static 32-byte words, 448 bytes.
    /// </summary>
    public byte[] Encode() => new AbiEncoder()
        .UInt(Version, 8)
        .UInt(ChainId)
        .Address(Escrow)
        .UInt(BookingId.Value)
        .UInt((byte)Outcome, 8)
        .UInt((byte)Source, 8)
        .UInt(HostFirstJoin, 64)
        .UInt(HostLastLeave, 64)
        .UInt(GuestFirstJoin, 64)
        .UInt(GuestLastLeave, 64)
        .UInt(HostPresentSeconds, 64)
        .UInt(GuestPresentSeconds, 64)
        .UInt(OverlapSeconds, 64)
        .Bytes32(EvidenceRoot)
        .ToArray();

    /// <summary>The <c>metricsHash</c> sent with <c>attest</c>: keccak256(<see cref="Encode"/>()).</summary>
    public Hash32 Hash() => Keccak256.Hash(Encode());
}
