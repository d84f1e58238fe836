namespace SessionVoice.Core.Ethereum;

/// <summary>An in-memory secp256k1 key. Its text form never shows the key.</summary>
public sealed class PrivateKeySigner : ISigner
{
    private readonly byte[] _privateKey;
    private readonly byte[] _publicKey;

    public PrivateKeySigner(ReadOnlySpan<byte> privateKey)
    {
        if (!Secp256k1.IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("not a valid secp256k1 private key", nameof(privateKey));
        }
        _privateKey = privateKey.ToArray();
        _publicKey = Secp256k1.PublicKey(privateKey);
        Address = Address.FromPublicKey(_publicKey);
    }

    /// <summary>Parses "0x" + 64 hex digits (or bare hex). The message of a failure never contains the input.</summary>
    public static bool TryParse(string? hex, out PrivateKeySigner? signer)
    {
        signer = null;
        if (hex is null)
        {
            return false;
        }
        var trimmed = hex.Trim();
        if (!Hex.TryDecode(trimmed, out var bytes) || !Secp256k1.IsValidPrivateKey(bytes))
        {
            return false;
        }
        signer = new PrivateKeySigner(bytes);
        Array.Clear(bytes);
        return true;
    }

    public Address Address { get; }

    public Signature Sign(Hash32 digest) => Secp256k1.Sign(digest, _privateKey, _publicKey);

    public override string ToString() => $"PrivateKeySigner({Address})";
}
