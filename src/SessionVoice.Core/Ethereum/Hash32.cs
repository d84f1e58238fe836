using System.Buffers.Binary;

namespace SessionVoice.Core.Ethereum;

/// <summary>A 32-byte value: a hash, a bytes32 word or a transaction id. Compared by value.</summary>
public readonly record struct Hash32(ulong P0, ulong P1, ulong P2, ulong P3)
{
    public static Hash32 Zero => default;

    public static Hash32 FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 32)
        {
            throw new ArgumentException("a hash is 32 bytes", nameof(bytes));
        }
        return new Hash32(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public static Hash32 Parse(string text)
    {
        if (!TryParse(text, out var hash))
        {
            throw new FormatException("a hash is 0x followed by 64 hex digits");
        }
        return hash;
    }

    public static bool TryParse(string? text, out Hash32 hash)
    {
        hash = default;
        if (text is null || text.Length != 66 || !Hex.TryDecode(text, out var bytes) || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        hash = FromBytes(bytes);
        return true;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, P0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], P1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], P2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], P3);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[32];
        WriteTo(bytes);
        return bytes;
    }

    public bool IsZero => this == default;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[32];
        WriteTo(bytes);
        return Hex.Encode(bytes);
    }
}
