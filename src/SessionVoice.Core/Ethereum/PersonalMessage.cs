using System.Globalization;
using System.Text;

namespace SessionVoice.Core.Ethereum;

/// <summary>EIP-191 version 0x45 ("personal_sign").</summary>
public static class PersonalMessage
{
    // "\x19Ethereum…" in C# would read \x19E as one character; spell the byte out.
    private static readonly byte[] Prefix = [0x19, .. "Ethereum Signed Message:\n"u8];

    /// <summary>keccak256(0x19 ‖ "Ethereum Signed Message:\n" ‖ decimal byte length ‖ message).</summary>
    public static Hash32 Hash(ReadOnlySpan<byte> message)
    {
        var length = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture));
        var buffer = new byte[Prefix.Length + length.Length + message.Length];
        Prefix.CopyTo(buffer, 0);
        length.CopyTo(buffer, Prefix.Length);
        message.CopyTo(buffer.AsSpan(Prefix.Length + length.Length));
        return Keccak256.Hash(buffer);
    }

    /// <summary>Hashes the UTF-8 bytes of the text exactly as given (no hex interpretation).</summary>
    public static Hash32 Hash(string message) => Hash(Encoding.UTF8.GetBytes(message));

    public static Signature Sign(string message, ISigner signer) => signer.Sign(Hash(message));

    /// <summary>
    /// The signer of a personal_sign signature, or null. High-s twins are refused, as OpenZeppelin's
    /// ECDSA does: honest signers never produce them, and accepting them makes signatures malleable.
    /// </summary>
    public static Address? Recover(string message, ReadOnlySpan<byte> signature)
    {
        if (!Signature.TryParse(signature, out var parsed) || !parsed.IsLowS)
        {
            return null;
        }
        return Secp256k1.RecoverAddress(Hash(message), parsed);
    }
}
