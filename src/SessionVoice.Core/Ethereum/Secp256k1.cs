using System.Numerics;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace SessionVoice.Core.Ethereum;

/// <summary>
/// secp256k1 signing (RFC 6979, low-s) and public-key recovery. Recovery and signing use
/// libsecp256k1 when <see cref="Secp256k1Native.IsAvailable"/> is true, and BouncyCastle otherwise.
/// Both paths return the same bytes (Secp256k1NativeTests).
/// </summary>
public static class Secp256k1
{
    /// <summary>
    /// BouncyCastle's curve, built on first use of the managed path: with libsecp256k1 present the
    /// service never loads BouncyCastle (its code and tables cost ~4 MB of resident memory).
    /// </summary>
    private static class Bc
    {
        public static readonly X9ECParameters Curve = CustomNamedCurves.GetByName("secp256k1");
        public static readonly ECDomainParameters Domain = new(Curve.Curve, Curve.G, Curve.N, Curve.H);
        public static readonly BcBigInteger N = Curve.N;
    }

    /// <summary>n, the order of the generator (SEC 2, 2.4.1).</summary>
    public static readonly BigInteger Order = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>n / 2: EIP-2 requires transaction signatures to have s at most this.</summary>
    public static readonly BigInteger HalfOrder = Order / 2;

    public static bool IsValidPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != 32)
        {
            return false;
        }
        var d = new BigInteger(privateKey, isUnsigned: true, isBigEndian: true);
        return !d.IsZero && d < Order;
    }

    /// <summary>The 64-byte X‖Y public key of a private key.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> privateKey)
    {
        if (!IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("not a valid secp256k1 private key", nameof(privateKey));
        }
        return Secp256k1Native.IsAvailable && Secp256k1Native.TryPublicKey(privateKey) is { } native ? native : PublicKeyManaged(privateKey);
    }

    /// <summary>The BouncyCastle path of <see cref="PublicKey"/>, whatever <see cref="Secp256k1Native.IsAvailable"/> says (for tests).</summary>
    internal static byte[] PublicKeyManaged(ReadOnlySpan<byte> privateKey)
    {
        if (!IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("not a valid secp256k1 private key", nameof(privateKey));
        }
        var point = new FixedPointCombMultiplier().Multiply(Bc.Curve.G, new BcBigInteger(1, privateKey)).Normalize();
        return point.GetEncoded(false)[1..];
    }

    /// <summary>
    /// Deterministic (RFC 6979, HMAC-SHA256) signature with s normalised to the low half;
    /// BouncyCastle does not normalise, so s = n − s flips the recovery id.
    /// </summary>
    public static Signature Sign(Hash32 hash, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> expectedPublicKey = default)
    {
        if (!IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("not a valid secp256k1 private key", nameof(privateKey));
        }
        // libsecp256k1 uses the same RFC 6979 nonce and the same low-s rule. If it produces nothing
        // usable (for example, an expected key that does not match), the managed path runs and
        // throws as it always did.
        if (Secp256k1Native.IsAvailable && Secp256k1Native.TrySign(hash, privateKey, expectedPublicKey, out var signature))
        {
            return signature;
        }
        return SignManaged(hash, privateKey, expectedPublicKey);
    }

    /// <summary>The BouncyCastle signing path, whatever <see cref="Secp256k1Native.IsAvailable"/> says (for tests).</summary>
    internal static Signature SignManaged(Hash32 hash, ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> expectedPublicKey = default)
    {
        if (!IsValidPrivateKey(privateKey))
        {
            throw new ArgumentException("not a valid secp256k1 private key", nameof(privateKey));
        }
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, new ECPrivateKeyParameters(new BcBigInteger(1, privateKey), Bc.Domain));
        var digest = hash.ToArray();
        var rs = signer.GenerateSignature(digest);
        var r = rs[0];
        var s = rs[1];
        if (s.CompareTo(Bc.N.ShiftRight(1)) > 0)
        {
            s = Bc.N.Subtract(s);
        }
        var publicKey = expectedPublicKey.IsEmpty ? PublicKey(privateKey) : expectedPublicKey.ToArray();
        for (byte recId = 0; recId < 2; recId++)
        {
            var candidate = RecoverPoint(digest, r, s, recId);
            if (candidate is not null && candidate.GetEncoded(false).AsSpan(1).SequenceEqual(publicKey))
            {
                return new Signature(ToBig(r), ToBig(s), recId);
            }
        }
        throw new InvalidOperationException("no recovery id reproduces the signing key");
    }

    /// <summary>Recovers the 64-byte X‖Y public key, or null when the signature is not valid for any key.</summary>
    public static byte[]? RecoverPublicKey(Hash32 hash, Signature signature)
    {
        if (!IsInRange(signature))
        {
            return null;
        }
        return Secp256k1Native.IsAvailable
            ? Secp256k1Native.RecoverPublicKey(hash, signature)
            : RecoverPublicKeyManaged(hash, signature);
    }

    /// <summary>The BouncyCastle recovery path, whatever <see cref="Secp256k1Native.IsAvailable"/> says (for tests).</summary>
    internal static byte[]? RecoverPublicKeyManaged(Hash32 hash, Signature signature)
    {
        if (!IsInRange(signature))
        {
            return null;
        }
        var point = RecoverPoint(hash.ToArray(), ToBc(signature.R), ToBc(signature.S), signature.RecoveryId);
        return point?.GetEncoded(false)[1..];
    }

    public static Address? RecoverAddress(Hash32 hash, Signature signature)
    {
        var publicKey = RecoverPublicKey(hash, signature);
        return publicKey is null ? null : Address.FromPublicKey(publicKey);
    }

    // r and s in [1, n) and recovery id 0 or 1, on both paths. Low-s is the caller's rule
    // (PersonalMessage.Recover): recovery itself accepts the high-s twin, as ecrecover does.
    private static bool IsInRange(Signature signature) =>
        signature.R.Sign > 0 && signature.S.Sign > 0 && signature.R < Order && signature.S < Order && signature.RecoveryId <= 1;

    // Q = r⁻¹ (s·R − e·G), with R the curve point whose x is r and whose y parity is the recovery id.
    // Recovery ids 2 and 3 (x = r + n) would need r < p − n, which practically never happens: not supported.
    private static ECPoint? RecoverPoint(byte[] digest, BcBigInteger r, BcBigInteger s, int recId)
    {
        var encoded = new byte[33];
        encoded[0] = (byte)(0x02 | (recId & 1));
        var rBytes = r.ToByteArrayUnsigned();
        if (rBytes.Length > 32)
        {
            return null;
        }
        rBytes.CopyTo(encoded, 33 - rBytes.Length);
        ECPoint bigR;
        try
        {
            bigR = Bc.Curve.Curve.DecodePoint(encoded);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var e = new BcBigInteger(1, digest);
        var rInv = r.ModInverse(Bc.N);
        var u1 = Bc.N.Subtract(e).Multiply(rInv).Mod(Bc.N);
        var u2 = s.Multiply(rInv).Mod(Bc.N);
        var q = ECAlgorithms.SumOfTwoMultiplies(Bc.Curve.G, u1, bigR, u2).Normalize();
        return q.IsInfinity ? null : q;
    }

    private static BigInteger ToBig(BcBigInteger value) => new(value.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);

    private static BcBigInteger ToBc(BigInteger value) => new(1, value.ToByteArray(isUnsigned: true, isBigEndian: true));
}
