using System.Globalization;
using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// <see cref="AttestationTxRecord"/> as plain JSON-friendly values (strings for hashes, raw bytes and
/// wei amounts), shared by every store that persists the records (SQLite, actor state).
/// </summary>
public sealed record AttestationTxRecordDto(
    string BookingId, byte Outcome, string MetricsHash, string State, List<AttestationTxRecordDto.SentDto> Sent, string? MinedHash, string? Error,
    string? ClaimToken, long ClaimedAtUnixMs, ulong? MinedBlockNumber, string? MinedBlockHash = null)
{
    public sealed record SentDto(string Hash, string Raw, ulong Nonce, string MaxFee, string Tip, long SentAtUnixMs, ulong GasLimit);

    public static AttestationTxRecordDto From(AttestationTxRecord r) => new(
        r.BookingId.ToString(), (byte)r.Outcome, r.MetricsHash.ToString(), r.State.ToString(),
        [.. r.Sent.Select(s => new SentDto(s.Hash.ToString(), Hex.Encode(s.Raw), s.Nonce, Str(s.MaxFeePerGas), Str(s.MaxPriorityFeePerGas), s.SentAtUnixMs, s.GasLimit))],
        r.MinedHash?.ToString(), r.Error, r.ClaimToken, r.ClaimedAtUnixMs, r.MinedBlockNumber, r.MinedBlockHash?.ToString());

    public AttestationTxRecord ToRecord() => new(
        Escrow.BookingId.Parse(BookingId),
        (Outcome)Outcome,
        Hash32.Parse(MetricsHash),
        Enum.Parse<AttestationTxState>(State),
        [.. Sent.Select(s => new SentTransaction(Hash32.Parse(s.Hash), Hex.Decode(s.Raw), s.Nonce, Big(s.MaxFee), Big(s.Tip), s.SentAtUnixMs) { GasLimit = s.GasLimit })],
        MinedHash is null ? null : Hash32.Parse(MinedHash),
        Error)
    {
        ClaimToken = ClaimToken,
        ClaimedAtUnixMs = ClaimedAtUnixMs,
        MinedBlockNumber = MinedBlockNumber,
        MinedBlockHash = MinedBlockHash is null ? null : Hash32.Parse(MinedBlockHash),
    };

    private static string Str(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static BigInteger Big(string value) => BigInteger.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
}
