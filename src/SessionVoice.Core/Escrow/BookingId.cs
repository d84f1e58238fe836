using System.Globalization;
using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>A SessionEscrowV1 booking id: a uint256, always shown in canonical decimal.</summary>
public readonly record struct BookingId
{
    public BookingId(BigInteger value)
    {
        if (value.Sign < 0 || value > Abi.MaxUInt256)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "a booking id is a uint256");
        }
        Value = value;
    }

    public BigInteger Value { get; }

    /// <summary>
    /// Accepts 1–78 ASCII digits and nothing else (no sign, spaces, exponent or hex). Leading zeros
    /// are read away so "07" and "7" are the same booking and can never name two channels.
    /// </summary>
    public static bool TryParse(string? text, out BookingId id)
    {
        id = default;
        if (text is null || text.Length is 0 or > 78)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        var value = BigInteger.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > Abi.MaxUInt256)
        {
            return false;
        }
        id = new BookingId(value);
        return true;
    }

    public static BookingId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException("a booking id is a decimal uint256");

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}
