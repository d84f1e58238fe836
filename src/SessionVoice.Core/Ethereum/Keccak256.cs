using Org.BouncyCastle.Crypto.Digests;

namespace SessionVoice.Core.Ethereum;

/// <summary>
/// Ethereum's hash: the original Keccak padding (0x01), not FIPS-202 SHA3 (0x06). Neither .NET's
/// SHA3_256 nor BouncyCastle's Sha3Digest give these bytes.
/// </summary>
public static class Keccak256
{
    public static Hash32 Hash(ReadOnlySpan<byte> data)
    {
        Span<byte> output = stackalloc byte[32];
        Hash(data, output);
        return Hash32.FromBytes(output);
    }

    public static void Hash(ReadOnlySpan<byte> data, Span<byte> output)
    {
        var digest = new KeccakDigest(256);
        digest.BlockUpdate(data);
        digest.DoFinal(output);
    }

    public static byte[] HashToArray(ReadOnlySpan<byte> data)
    {
        var output = new byte[32];
        Hash(data, output);
        return output;
    }
}
