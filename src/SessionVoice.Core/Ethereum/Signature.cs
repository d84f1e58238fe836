using System.Numerics;

namespace SessionVoice.Core.Ethereum;

/// <summary>A recoverable secp256k1 signature: r, s and the recovery id (0 or 1).</summary>
public readonly record struct Signature(BigInteger R, BigInteger S, byte RecoveryId)
{
    public const int Length = 65;

    public bool IsLowS => S <= Secp256k1.HalfOrder;

    /// <summary>r(32) ‖ s(32) ‖ v(1) with v = 27 + recovery id, as personal_sign produces.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteWord(R, bytes.AsSpan(0, 32));
        WriteWord(S, bytes.AsSpan(32, 32));
        bytes[64] = (byte)(27 + RecoveryId);
        return bytes;
    }

    public string ToHex() => Hex.Encode(ToBytes());

    /// <summary>
    /// Parses a 65-byte r‖s‖v signature. v may be 27/28 or 0/1 (some hardware signers emit the
    /// raw recovery id); anything else, and r or s outside [1, n), is rejected.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out Signature signature)
    {
        signature = default;
        if (bytes.Length != Length)
        {
            return false;
        }
        var v = bytes[64];
        if (v >= 27)
        {
            v -= 27;
        }
        if (v > 1)
        {
            return false;
        }
        var r = new BigInteger(bytes[..32], isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(bytes[32..64], isUnsigned: true, isBigEndian: true);
        if (r.IsZero || s.IsZero || r >= Secp256k1.Order || s >= Secp256k1.Order)
        {
            return false;
        }
        signature = new Signature(r, s, v);
        return true;
    }

    public static bool TryParse(string? hex, out Signature signature)
    {
        signature = default;
        return Hex.TryDecode(hex, out var bytes) && TryParse(bytes, out signature);
    }

    internal static void WriteWord(BigInteger value, Span<byte> destination)
    {
        destination.Clear();
        var byteCount = value.GetByteCount(isUnsigned: true);
        if (byteCount > destination.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "value does not fit");
        }
        value.TryWriteBytes(destination[(destination.Length - byteCount)..], out _, isUnsigned: true, isBigEndian: true);
    }
}
