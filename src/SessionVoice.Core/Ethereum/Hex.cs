using System.Globalization;
using System.Numerics;

namespace SessionVoice.Core.Ethereum;

/// <summary>Hex text as JSON-RPC uses it: data is even-length hex, quantities have no leading zeros.</summary>
public static class Hex
{
    public static string Encode(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>Decodes "0x…" (or bare) even-length hex; throws <see cref="FormatException"/> otherwise.</summary>
    public static byte[] Decode(string text)
    {
        if (!TryDecode(text, out var bytes))
        {
            throw new FormatException("not an even-length hex string");
        }
        return bytes;
    }

    public static bool TryDecode(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null)
        {
            return false;
        }
        var digits = text.AsSpan();
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }
        if (digits.Length % 2 != 0)
        {
            return false;
        }
        foreach (var c in digits)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        bytes = Convert.FromHexString(digits);
        return true;
    }

    public static string EncodeQuantity(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "quantities are unsigned");
        }
        if (value.IsZero)
        {
            return "0x0";
        }
        return "0x" + Convert.ToHexStringLower(value.ToByteArray(isUnsigned: true, isBigEndian: true)).TrimStart('0');
    }

    public static string EncodeQuantity(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);

    public static BigInteger DecodeQuantity(string? text)
    {
        if (text is null || text.Length < 3 || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("quantity must be 0x-prefixed hex");
        }
        var digits = text.AsSpan(2);
        foreach (var c in digits)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                throw new FormatException("quantity must be 0x-prefixed hex");
            }
        }
        return BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    public static ulong DecodeQuantityUInt64(string? text)
    {
        var value = DecodeQuantity(text);
        if (value > ulong.MaxValue)
        {
            throw new FormatException("quantity does not fit in 64 bits");
        }
        return (ulong)value;
    }
}
