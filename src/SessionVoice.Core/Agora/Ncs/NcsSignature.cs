using System.Buffers;
using System.Security.Cryptography;

namespace SessionVoice.Core.Agora.Ncs;

public enum NcsSignatureAlgorithm
{
    /// <summary>HMAC-SHA256, sent as <see cref="NcsSignature.V2Header"/>.</summary>
    HmacSha256,

    /// <summary>HMAC-SHA1, sent as <see cref="NcsSignature.V1Header"/>.</summary>
    HmacSha1,
}

/// <summary>
/// The signature Agora puts on every NCS webhook (agora.md B): an HMAC keyed with the Console's NCS
/// secret over the <em>raw</em> request body, as lowercase hex. It is checked over the bytes exactly
/// as received: re-serialised JSON (other whitespace or key order) does not verify (agora.md pitfall 8).
/// </summary>
public static class NcsSignature
{
    /// <summary>HMAC-SHA256 of the raw body.</summary>
    public const string V2Header = "Agora-Signature-V2";

    /// <summary>HMAC-SHA1 of the raw body.</summary>
    public const string V1Header = "Agora-Signature";

    private const int MaxMacBytes = HMACSHA256.HashSizeInBytes;

    public static string HeaderFor(NcsSignatureAlgorithm algorithm) => algorithm switch
    {
        NcsSignatureAlgorithm.HmacSha256 => V2Header,
        NcsSignatureAlgorithm.HmacSha1 => V1Header,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown NCS signature algorithm"),
    };

    /// <summary>
    /// True only when <paramref name="signatureHeader"/> is the hex HMAC of <paramref name="rawBody"/>
    /// (either case; Agora sends lowercase). Null, empty, non-hex or wrong-length headers are false, and
    /// so is an empty secret: an unconfigured secret must not turn into a key anyone can sign with.
    /// The MACs are compared in constant time.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> secretUtf8, ReadOnlySpan<byte> rawBody, string? signatureHeader, NcsSignatureAlgorithm algorithm)
    {
        var size = MacSize(algorithm);
        if (secretUtf8.IsEmpty || signatureHeader is null || signatureHeader.Length != 2 * size)
        {
            return false;
        }
        Span<byte> claimed = stackalloc byte[MaxMacBytes];
        claimed = claimed[..size];
        if (Convert.FromHexString(signatureHeader, claimed, out _, out var written) != OperationStatus.Done || written != size)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[MaxMacBytes];
        expected = expected[..size];
        Mac(secretUtf8, rawBody, algorithm, expected);
        return CryptographicOperations.FixedTimeEquals(expected, claimed);
    }

    /// <summary>The header value Agora would send for this body: the HMAC as lowercase hex.</summary>
    public static string Compute(ReadOnlySpan<byte> secretUtf8, ReadOnlySpan<byte> rawBody, NcsSignatureAlgorithm algorithm)
    {
        Span<byte> mac = stackalloc byte[MaxMacBytes];
        mac = mac[..MacSize(algorithm)];
        Mac(secretUtf8, rawBody, algorithm, mac);
        return Convert.ToHexStringLower(mac);
    }

    private static int MacSize(NcsSignatureAlgorithm algorithm) => algorithm switch
    {
        NcsSignatureAlgorithm.HmacSha256 => HMACSHA256.HashSizeInBytes,
        NcsSignatureAlgorithm.HmacSha1 => HMACSHA1.HashSizeInBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown NCS signature algorithm"),
    };

    private static void Mac(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> body, NcsSignatureAlgorithm algorithm, Span<byte> destination)
    {
        // SHA-1 is Agora's choice for the V1 header; as an HMAC it is not open to SHA-1's collision attacks.
#pragma warning disable CA5350
        _ = algorithm == NcsSignatureAlgorithm.HmacSha256
            ? HMACSHA256.HashData(secret, body, destination)
            : HMACSHA1.HashData(secret, body, destination);
#pragma warning restore CA5350
    }
}
