using System.Buffers.Binary;
using System.Security.Cryptography;
using SessionVoice.Api.Configuration;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Sign-in nonces that any replica can check without shared storage: 128 random bits, the expiry,
/// and a MAC binding both to the wallet, keyed by a key derived from JWT_SECRET. Printed as 80 hex
/// characters (plain text a wallet shows as it is). Single use is enforced by the store.
/// </summary>
public sealed class SignInNonces(ServiceSettings settings)
{
    private const int RandomBytes = 16;
    private const int MacBytes = 16;

    private readonly byte[] _key = HMACSHA256.HashData(settings.JwtSecret, "session-voice/sign-in-nonce/v1"u8);

    public string Issue(Address wallet, long expiresAtUnix)
    {
        Span<byte> nonce = stackalloc byte[RandomBytes + 8 + MacBytes];
        RandomNumberGenerator.Fill(nonce[..RandomBytes]);
        BinaryPrimitives.WriteInt64BigEndian(nonce.Slice(RandomBytes, 8), expiresAtUnix);
        Mac(wallet, nonce[..(RandomBytes + 8)]).CopyTo(nonce[(RandomBytes + 8)..]);
        return Convert.ToHexStringLower(nonce);
    }

    private static readonly System.Buffers.SearchValues<char> LowercaseHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    private static bool IsLowercaseHex(string text) => !text.AsSpan().ContainsAnyExcept(LowercaseHex);

    /// <summary>True when the nonce was issued by us, for this wallet, and has not expired.</summary>
    public bool IsValid(string nonce, Address wallet, long nowUnix, out long expiresAtUnix)
    {
        expiresAtUnix = 0;
        // Only the spelling we issue (lowercase hex): single use is recorded per nonce string, so "ABC…" must not
        // be a second, unused spelling of "abc…".
        if (nonce.Length != 2 * (RandomBytes + 8 + MacBytes) || !IsLowercaseHex(nonce) || !Hex.TryDecode(nonce, out var bytes))
        {
            return false;
        }
        var expected = Mac(wallet, bytes.AsSpan(0, RandomBytes + 8));
        if (!CryptographicOperations.FixedTimeEquals(expected, bytes.AsSpan(RandomBytes + 8)))
        {
            return false;
        }
        expiresAtUnix = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(RandomBytes, 8));
        return nowUnix <= expiresAtUnix;
    }

    private byte[] Mac(Address wallet, ReadOnlySpan<byte> randomAndExpiry)
    {
        var message = new byte[20 + randomAndExpiry.Length];
        wallet.WriteTo(message);
        randomAndExpiry.CopyTo(message.AsSpan(20));
        return HMACSHA256.HashData(_key, message)[..MacBytes];
    }

}
