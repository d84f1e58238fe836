using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

/// <summary>
/// libsecp256k1 (P/Invoke) and BouncyCastle must agree byte for byte: same public key or the same
/// refusal, and the same RFC 6979 signature.
/// </summary>
public class Secp256k1NativeTests
{
    private const int Pairs = 3000;

    private static void RequireNative()
    {
        if (!Secp256k1Native.IsAvailable)
        {
            Assert.Skip("libsecp256k1 not installed: apt-get install libsecp256k1-1");
        }
    }

    private static byte[] NewPrivateKey(Random random)
    {
        var key = new byte[32];
        do
        {
            random.NextBytes(key);
        }
        while (!Secp256k1.IsValidPrivateKey(key));
        return key;
    }

    private static Hash32 NewDigest(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        return Hash32.FromBytes(bytes);
    }

    private static BigInteger Word(ReadOnlySpan<byte> bytes) => new(bytes, isUnsigned: true, isBigEndian: true);

    [Fact]
    public void Public_keys_agree()
    {
        RequireNative();
        var random = new Random(6);
        byte[] one = [.. new byte[31], 1];
        byte[] last = (Secp256k1.Order - 1).ToByteArray(isUnsigned: true, isBigEndian: true);
        foreach (var key in new[] { one, last }.Concat(Enumerable.Range(0, 500).Select(_ => NewPrivateKey(random))))
        {
            Assert.Equal(Secp256k1.PublicKeyManaged(key), Secp256k1.PublicKey(key));
        }
        Assert.Equal("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", Convert.ToHexStringLower(Secp256k1.PublicKey(one)[..32]));
    }

    private static void AssertSameRecovery(Hash32 digest, Signature signature)
    {
        var managed = Secp256k1.RecoverPublicKeyManaged(digest, signature);
        var native = Secp256k1Native.RecoverPublicKey(digest, signature);
        Assert.Equal(managed, native);
        // The public entry point checks the range, then takes the native path.
        Assert.Equal(managed, Secp256k1.RecoverPublicKey(digest, signature));
    }

    [Fact]
    public void Native_and_managed_recover_the_same_key_from_real_signatures()
    {
        RequireNative();
        var random = new Random(20240501);
        for (var i = 0; i < Pairs; i++)
        {
            var key = NewPrivateKey(random);
            var digest = NewDigest(random);
            var publicKey = Secp256k1.PublicKey(key);
            var signature = Secp256k1.SignManaged(digest, key, publicKey);
            var native = Secp256k1Native.RecoverPublicKey(digest, signature);
            Assert.Equal(publicKey, native);
            Assert.Equal(publicKey, Secp256k1.RecoverPublicKeyManaged(digest, signature));
            // The high-s twin recovers the same key on both paths (low-s is the caller's rule).
            var twin = signature with { S = Secp256k1.Order - signature.S, RecoveryId = (byte)(signature.RecoveryId ^ 1) };
            Assert.Equal(publicKey, Secp256k1Native.RecoverPublicKey(digest, twin));
            Assert.Equal(publicKey, Secp256k1.RecoverPublicKeyManaged(digest, twin));
            // The wrong recovery id gives a different key, on both paths.
            var flipped = signature with { RecoveryId = (byte)(signature.RecoveryId ^ 1) };
            AssertSameRecovery(digest, flipped);
            Assert.NotEqual(publicKey, Secp256k1Native.RecoverPublicKey(digest, flipped));
        }
    }

    [Fact]
    public void Native_and_managed_agree_on_random_r_s_and_recovery_id()
    {
        RequireNative();
        // About half of all r values are no x coordinate on the curve, so both null and non-null
        // results show up here.
        var random = new Random(7);
        var bytes = new byte[64];
        var nulls = 0;
        for (var i = 0; i < Pairs; i++)
        {
            random.NextBytes(bytes);
            var r = Word(bytes.AsSpan(0, 32)) % Secp256k1.Order;
            var s = Word(bytes.AsSpan(32, 32)) % Secp256k1.Order;
            if (r.IsZero || s.IsZero)
            {
                continue;
            }
            var signature = new Signature(r, s, (byte)(i & 1));
            var digest = NewDigest(random);
            AssertSameRecovery(digest, signature);
            nulls += Secp256k1Native.RecoverPublicKey(digest, signature) is null ? 1 : 0;
        }
        Assert.InRange(nulls, Pairs / 4, Pairs * 3 / 4);
    }

    [Fact]
    public void Edge_digests_reduce_the_same_way()
    {
        RequireNative();
        var random = new Random(11);
        var key = NewPrivateKey(random);
        var publicKey = Secp256k1.PublicKey(key);
        byte[][] digests =
        [
            new byte[32],
            [.. Enumerable.Repeat((byte)0xff, 32)],
            Secp256k1.Order.ToByteArray(isUnsigned: true, isBigEndian: true),
            (Secp256k1.Order + 1).ToByteArray(isUnsigned: true, isBigEndian: true),
            (Secp256k1.Order - 1).ToByteArray(isUnsigned: true, isBigEndian: true),
        ];
        foreach (var bytes in digests)
        {
            var digest = Hash32.FromBytes(bytes);
            var managed = Secp256k1.SignManaged(digest, key, publicKey);
            Assert.True(Secp256k1Native.TrySign(digest, key, publicKey, out var native));
            Assert.Equal(managed, native);
            Assert.Equal(publicKey, Secp256k1Native.RecoverPublicKey(digest, managed));
            AssertSameRecovery(digest, managed with { RecoveryId = (byte)(managed.RecoveryId ^ 1) });
        }
    }

    [Fact]
    public void Invalid_signatures_give_null_on_both_paths()
    {
        RequireNative();
        var digest = PersonalMessage.Hash(Vectors.SeedMessage);
        Assert.True(Signature.TryParse(Vectors.SeedMessageSignature, out var good));
        var n = Secp256k1.Order;
        Signature[] invalid =
        [
            good with { R = BigInteger.Zero },
            good with { S = BigInteger.Zero },
            good with { R = n },
            good with { S = n },
            good with { R = n + good.R },
            good with { S = BigInteger.Pow(2, 256) - 1 },
            good with { RecoveryId = 2 },
            good with { RecoveryId = 3 },
            good with { RecoveryId = 27 },
            good with { RecoveryId = 255 },
            new Signature(BigInteger.Zero, BigInteger.One, 0),
            new Signature(BigInteger.One, n, 0),
            new Signature(BigInteger.One, BigInteger.One, 2),
        ];
        foreach (var signature in invalid)
        {
            Assert.Null(Secp256k1.RecoverPublicKeyManaged(digest, signature));
            Assert.Null(Secp256k1.RecoverPublicKey(digest, signature));
            Assert.Null(Secp256k1.RecoverAddress(digest, signature));
        }
        // The native wrapper itself never passes a recovery id above 1 to the library (whose
        // illegal-argument callback would abort the process).
        Assert.Null(Secp256k1Native.RecoverPublicKey(digest, good with { RecoveryId = 2 }));
        Assert.Null(Secp256k1Native.RecoverPublicKey(digest, good with { RecoveryId = 200 }));
        // An r in [1, n) that is no x coordinate on the curve: x = 5 has no y on secp256k1 (5³ + 7 = 132 is no square mod p).
        Assert.Null(Secp256k1.RecoverPublicKeyManaged(digest, good with { R = 5 }));
        Assert.Null(Secp256k1Native.RecoverPublicKey(digest, good with { R = 5 }));
    }

    [Fact]
    public void Random_65_byte_garbage_gives_the_same_answer_on_both_paths()
    {
        RequireNative();
        var random = new Random(65);
        var bytes = new byte[65];
        var valid = 0;
        for (var i = 0; i < Pairs; i++)
        {
            random.NextBytes(bytes);
            // Not through Signature.TryParse, which would refuse most of these before recovery.
            var signature = new Signature(Word(bytes.AsSpan(0, 32)), Word(bytes.AsSpan(32, 32)), bytes[64]);
            var digest = NewDigest(random);
            var managed = Secp256k1.RecoverPublicKeyManaged(digest, signature);
            Assert.Equal(managed, Secp256k1.RecoverPublicKey(digest, signature));
            if (signature.RecoveryId > 1)
            {
                Assert.Null(managed);
            }
            else
            {
                Assert.Equal(managed, Secp256k1Native.RecoverPublicKey(digest, signature));
            }
            // The byte form through the personal_sign entry point: null unless v is 0, 1, 27 or 28 and s is low.
            var recovered = PersonalMessage.Recover("garbage", bytes);
            if (bytes[64] is not (0 or 1 or 27 or 28))
            {
                Assert.Null(recovered);
            }
            valid += recovered is null ? 0 : 1;
        }
        Assert.True(valid < Pairs);
    }

    [Fact]
    public void Reference_vectors_recover_the_right_address_natively()
    {
        RequireNative();
        var expected = Address.Parse(Vectors.Address0);

        Assert.True(Signature.TryParse(Vectors.SeedMessageSignature, out var seed));
        Assert.Equal(expected, Address.FromPublicKey(Secp256k1Native.RecoverPublicKey(PersonalMessage.Hash(Vectors.SeedMessage), seed)!));
        Assert.Equal(expected, PersonalMessage.Recover(Vectors.SeedMessage, Hex.Decode(Vectors.SeedMessageSignature)));

        Assert.True(Signature.TryParse(Vectors.SiweSignature, out var siwe));
        Assert.Equal(Vectors.SiweHash, PersonalMessage.Hash(Vectors.SiweMessage).ToString());
        Assert.Equal(expected, Address.FromPublicKey(Secp256k1Native.RecoverPublicKey(Hash32.Parse(Vectors.SiweHash), siwe)!));
        Assert.Equal(expected, PersonalMessage.Recover(Vectors.SiweMessage, Hex.Decode(Vectors.SiweSignature)));

        // The high-s twin recovers natively too; PersonalMessage refuses it before recovery.
        Assert.True(Signature.TryParse(Vectors.SeedMessageHighSTwin, out var twin));
        Assert.Equal(expected, Address.FromPublicKey(Secp256k1Native.RecoverPublicKey(PersonalMessage.Hash(Vectors.SeedMessage), twin)!));
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, Hex.Decode(Vectors.SeedMessageHighSTwin)));

        // The transaction vectors end in rlp(r) ‖ rlp(s), both 32 bytes (a0 ‖ word); recovery id 0.
        Assert.Equal(expected, Secp256k1.RecoverAddress(Hash32.Parse(Vectors.LegacySighash), TransactionSignature(Vectors.LegacyRaw, 0)));
        Assert.Equal(expected, Secp256k1.RecoverAddress(Hash32.Parse(Vectors.Eip1559Sighash), TransactionSignature(Vectors.Eip1559Raw, 0)));
    }

    private static Signature TransactionSignature(string raw, byte recoveryId)
    {
        var tail = Hex.Decode("0x" + raw[^132..]);
        Assert.Equal(0xa0, tail[0]);
        Assert.Equal(0xa0, tail[33]);
        return new Signature(Word(tail.AsSpan(1, 32)), Word(tail.AsSpan(34, 32)), recoveryId);
    }

    [Fact]
    public void Native_signing_equals_managed_rfc6979_byte_for_byte()
    {
        RequireNative();
        var random = new Random(6979);
        for (var i = 0; i < Pairs; i++)
        {
            var key = NewPrivateKey(random);
            var digest = NewDigest(random);
            var publicKey = Secp256k1.PublicKey(key);
            var managed = Secp256k1.SignManaged(digest, key, publicKey);
            Assert.True(Secp256k1Native.TrySign(digest, key, publicKey, out var native));
            Assert.Equal(managed.ToBytes(), native.ToBytes());
            Assert.True(native.IsLowS);
            // Without the public key, the native path derives it itself.
            Assert.True(Secp256k1Native.TrySign(digest, key, default, out var withoutKey));
            Assert.Equal(managed, withoutKey);
            Assert.Equal(managed, Secp256k1.Sign(digest, key));
        }
    }

    [Fact]
    public void Native_signing_matches_the_cast_vectors()
    {
        RequireNative();
        var key = Hex.Decode(Vectors.Key0);
        Assert.True(Secp256k1Native.TrySign(PersonalMessage.Hash(Vectors.SeedMessage), key, default, out var seed));
        Assert.Equal(Vectors.SeedMessageSignature, seed.ToHex());
        Assert.True(Secp256k1Native.TrySign(PersonalMessage.Hash(Vectors.SiweMessage), key, default, out var siwe));
        Assert.Equal(Vectors.SiweSignature, siwe.ToHex());
        Assert.True(Secp256k1Native.TrySign(Hash32.Parse(Vectors.LegacySighash), key, default, out var legacy));
        Assert.Equal(TransactionSignature(Vectors.LegacyRaw, 0), legacy);
        Assert.True(Secp256k1Native.TrySign(Hash32.Parse(Vectors.Eip1559Sighash), key, default, out var eip1559));
        Assert.Equal(TransactionSignature(Vectors.Eip1559Raw, 0), eip1559);
    }

    [Fact]
    public void A_wrong_expected_public_key_still_throws()
    {
        RequireNative();
        var key = Hex.Decode(Vectors.Key0);
        var otherKey = Secp256k1.PublicKey(Hex.Decode(Vectors.Key1));
        var digest = Keccak256.Hash("x"u8);
        Assert.False(Secp256k1Native.TrySign(digest, key, otherKey, out _));
        Assert.Throws<InvalidOperationException>(() => Secp256k1.Sign(digest, key, otherKey));
        Assert.Throws<InvalidOperationException>(() => Secp256k1.SignManaged(digest, key, otherKey));
    }

    [Fact]
    public void The_shared_context_recovers_correctly_from_many_threads()
    {
        RequireNative();
        var random = new Random(99);
        var cases = Enumerable.Range(0, 64).Select(_ =>
        {
            var key = NewPrivateKey(random);
            var digest = NewDigest(random);
            return (Digest: digest, Signature: Secp256k1.SignManaged(digest, key), PublicKey: Secp256k1.PublicKey(key));
        }).ToArray();
        Parallel.For(0, 8 * 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var (digest, signature, publicKey) = cases[i % cases.Length];
            if (!publicKey.AsSpan().SequenceEqual(Secp256k1Native.RecoverPublicKey(digest, signature)))
            {
                throw new InvalidOperationException($"case {i % cases.Length} recovered the wrong key");
            }
        });
    }
}
