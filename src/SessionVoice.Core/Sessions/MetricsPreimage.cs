using System.Globalization;
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

    /// <summary>The 14 words' names in order, as docs/escrow-and-attestation.md ("Metrics commitment") and the stats view name them.</summary>
    public static readonly IReadOnlyList<string> FieldNames =
    [
        "version", "chainId", "escrow", "bookingId", "outcome", "source", "hostFirstJoin", "hostLastLeave", "guestFirstJoin",
        "guestLastLeave", "hostPresentSeconds", "guestPresentSeconds", "overlapSeconds", "evidenceRoot",
    ];

    /// <summary>The length of <see cref="Encode"/>'s result: 14 words.</summary>
    public const int EncodedLength = 14 * 32;

    /// <summary>
    /// The preimage back from <see cref="Encode"/>'s bytes: exactly 448 bytes, version 1, every word in its type's range, a
    /// known outcome and source. Anything else is not a preimage of this layout.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> encoded, out MetricsPreimage preimage)
    {
        preimage = null!;
        if (encoded.Length != EncodedLength)
        {
            return false;
        }
        var words = new AbiDecoder(encoded);
        try
        {
            var outcome = (Outcome)(byte)words.UInt(4, 8);
            var source = (MetricsSource)(byte)words.UInt(5, 8);
            if (words.UInt(0, 8) != Version
                || outcome is not (Outcome.Completed or Outcome.NoShowHost or Outcome.NoShowGuest)
                || source is not (MetricsSource.Observed or MetricsSource.Claimed or MetricsSource.Forced))
            {
                return false;
            }
            preimage = new MetricsPreimage(
                (ulong)words.UInt(1, 64),
                words.Address(2),
                new BookingId(words.UInt(3)),
                outcome,
                source,
                words.UInt64(6),
                words.UInt64(7),
                words.UInt64(8),
                words.UInt64(9),
                words.UInt64(10),
                words.UInt64(11),
                words.UInt64(12),
                words.Bytes32(13));
            return true;
        }
        catch (AbiDecodingException)
        {
            return false;
        }
    }

    /// <summary>The words by <see cref="FieldNames"/>, as text: numbers in decimal, the escrow and the root in hex.</summary>
    public IReadOnlyDictionary<string, string> Fields()
    {
        string[] values =
        [
            Version.ToString(CultureInfo.InvariantCulture), Number(ChainId), Escrow.ToString(), BookingId.ToString(),
            ((byte)Outcome).ToString(CultureInfo.InvariantCulture), ((byte)Source).ToString(CultureInfo.InvariantCulture),
            Number(HostFirstJoin), Number(HostLastLeave), Number(GuestFirstJoin), Number(GuestLastLeave),
            Number(HostPresentSeconds), Number(GuestPresentSeconds), Number(OverlapSeconds), EvidenceRoot.ToString(),
        ];
        var fields = new Dictionary<string, string>(values.Length, StringComparer.Ordinal);
        for (var i = 0; i < values.Length; i++)
        {
            fields[FieldNames[i]] = values[i];
        }
        return fields;
    }

    private static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
