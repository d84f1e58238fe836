using System.Buffers.Binary;

namespace SessionVoice.Core.Ethereum;

/// <summary>A 20-byte account address. Compared as bytes, never as checksum strings.</summary>
public readonly record struct Address(ulong P0, ulong P1, uint P2)
{
    private static readonly System.Buffers.SearchValues<char> LowerHexLetters = System.Buffers.SearchValues.Create("abcdef");
    private static readonly System.Buffers.SearchValues<char> UpperHexLetters = System.Buffers.SearchValues.Create("ABCDEF");

    public static Address Zero => default;

    public bool IsZero => this == default;

    public static Address FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 20)
        {
            throw new ArgumentException("an address is 20 bytes", nameof(bytes));
        }
        return new Address(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>The address of an uncompressed secp256k1 public key (64 bytes X‖Y, no 0x04 prefix).</summary>
    public static Address FromPublicKey(ReadOnlySpan<byte> publicKeyXY)
    {
        if (publicKeyXY.Length != 64)
        {
            throw new ArgumentException("expected the 64-byte X‖Y public key", nameof(publicKeyXY));
        }
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(publicKeyXY, hash);
        return FromBytes(hash[12..]);
    }

    /// <summary>
    /// Accepts "0x" + 40 hex digits in any case. Mixed-case input is not held to EIP-55 here:
    /// clients send lowercase, checksummed and upper-case forms alike (see api.md).
    /// </summary>
    public static bool TryParse(string? text, out Address address)
    {
        address = default;
        if (text is null || text.Length != 42 || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || !Hex.TryDecode(text, out var bytes))
        {
            return false;
        }
        address = FromBytes(bytes);
        return true;
    }

    public static Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException("an address is 0x followed by 40 hex digits");

    /// <summary>True when the text is all-lowercase, all-uppercase, or a correct EIP-55 checksum.</summary>
    public static bool HasValidChecksum(string text)
    {
        if (!TryParse(text, out var address))
        {
            return false;
        }
        var digits = text.AsSpan(2);
        var hasLower = digits.ContainsAny(LowerHexLetters);
        var hasUpper = digits.ContainsAny(UpperHexLetters);
        return !(hasLower && hasUpper) || string.Equals(address.ToChecksumString(), text, StringComparison.Ordinal);
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, P0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], P1);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], P2);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[20];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The last four bytes as an unsigned integer (Agora uids are derived from them).</summary>
    public uint LastFourBytes => P2;

    /// <summary>Lowercase 0x form: what the JWT <c>sub</c> and the logs carry.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[20];
        WriteTo(bytes);
        return Hex.Encode(bytes);
    }

    /// <summary>EIP-55: a letter is upper-case where the matching nibble of keccak(lowercase hex) is ≥ 8.</summary>
    public string ToChecksumString()
    {
        var lower = ToString()[2..];
        Span<byte> ascii = stackalloc byte[40];
        for (var i = 0; i < 40; i++)
        {
            ascii[i] = (byte)lower[i];
        }
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(ascii, hash);
        Span<char> result = stackalloc char[42];
        result[0] = '0';
        result[1] = 'x';
        for (var i = 0; i < 40; i++)
        {
            var nibble = (i % 2 == 0) ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
            result[i + 2] = nibble >= 8 ? char.ToUpperInvariant(lower[i]) : lower[i];
        }
        return new string(result);
    }
}
