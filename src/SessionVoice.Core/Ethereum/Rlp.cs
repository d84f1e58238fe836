using System.Numerics;

namespace SessionVoice.Core.Ethereum;

/// <summary>Recursive-length prefix encoding, as much of it as transactions need.</summary>
public static class Rlp
{
    public static byte[] EncodeBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 1 && bytes[0] < 0x80)
        {
            return [bytes[0]];
        }
        return WithPrefix(0x80, bytes);
    }

    /// <summary>Integers are big-endian with no leading zeros; zero is the empty string (0x80).</summary>
    public static byte[] EncodeInteger(BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "RLP integers are unsigned");
        }
        return value.IsZero ? [0x80] : EncodeBytes(value.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    public static byte[] EncodeInteger(ulong value) => EncodeInteger(new BigInteger(value));

    /// <summary>Wraps already-encoded items in a list header.</summary>
    public static byte[] EncodeList(params IReadOnlyList<byte[]> encodedItems)
    {
        var payload = new byte[encodedItems.Sum(i => i.Length)];
        var offset = 0;
        foreach (var item in encodedItems)
        {
            item.CopyTo(payload, offset);
            offset += item.Length;
        }
        return WithPrefix(0xc0, payload);
    }

    private static byte[] WithPrefix(byte shortBase, ReadOnlySpan<byte> payload)
    {
        if (payload.Length <= 55)
        {
            var shortForm = new byte[1 + payload.Length];
            shortForm[0] = (byte)(shortBase + payload.Length);
            payload.CopyTo(shortForm.AsSpan(1));
            return shortForm;
        }
        var length = new BigInteger(payload.Length).ToByteArray(isUnsigned: true, isBigEndian: true);
        var longForm = new byte[1 + length.Length + payload.Length];
        longForm[0] = (byte)(shortBase + 55 + length.Length);
        length.CopyTo(longForm, 1);
        payload.CopyTo(longForm.AsSpan(1 + length.Length));
        return longForm;
    }
}
