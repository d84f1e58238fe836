using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

public class SignatureTests
{
    private static readonly PrivateKeySigner Signer0 = new(Hex.Decode(Vectors.Key0));

    [Fact]
    public void Personal_message_hash_matches_the_vector()
    {
        Assert.Equal(Vectors.SeedMessageHash, PersonalMessage.Hash(Vectors.SeedMessage).ToString());
    }

    [Fact]
    public void Personal_message_length_is_the_utf8_byte_count()
    {
        // "héllo" is 6 bytes: the prefix must say 6, not 5.
        var manual = Keccak256.Hash([0x19, .. "Ethereum Signed Message:\n6"u8, .. "héllo"u8]);
        Assert.Equal(manual, PersonalMessage.Hash("héllo"));
    }

    [Fact]
    public void Personal_sign_matches_cast_byte_for_byte()
    {
        var signature = PersonalMessage.Sign(Vectors.SeedMessage, Signer0);
        Assert.Equal(Vectors.SeedMessageSignature, signature.ToHex());
        Assert.Equal(0, signature.RecoveryId);
    }

    [Fact]
    public void Recovery_finds_the_signer()
    {
        Assert.Equal(Signer0.Address, PersonalMessage.Recover(Vectors.SeedMessage, Hex.Decode(Vectors.SeedMessageSignature)));
    }

    [Fact]
    public void Recovery_accepts_v_as_0_or_1()
    {
        var bytes = Hex.Decode(Vectors.SeedMessageSignature);
        bytes[64] = 0;
        Assert.Equal(Signer0.Address, PersonalMessage.Recover(Vectors.SeedMessage, bytes));
    }

    [Fact]
    public void High_s_twin_is_refused_although_ecrecover_would_accept_it()
    {
        var twin = Hex.Decode(Vectors.SeedMessageHighSTwin);
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, twin));
        // The twin is a genuine signature by the same key: only the low-s rule refuses it.
        Assert.True(Signature.TryParse(twin, out var parsed));
        Assert.False(parsed.IsLowS);
        Assert.Equal(Signer0.Address, Secp256k1.RecoverAddress(PersonalMessage.Hash(Vectors.SeedMessage), parsed));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(26)]
    [InlineData(29)]
    [InlineData(255)]
    public void Recovery_refuses_other_v_values(byte v)
    {
        var bytes = Hex.Decode(Vectors.SeedMessageSignature);
        bytes[64] = v;
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, bytes));
    }

    [Fact]
    public void Truncated_zero_and_overlong_signatures_are_refused()
    {
        var bytes = Hex.Decode(Vectors.SeedMessageSignature);
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, bytes.AsSpan(0, 64)));
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, [.. bytes, 0]));
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, new byte[65]));
        var rEqualsN = bytes.ToArray();
        Secp256k1.Order.ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(rEqualsN, 0);
        Assert.Null(PersonalMessage.Recover(Vectors.SeedMessage, rEqualsN));
    }

    [Fact]
    public void A_different_message_recovers_a_different_address()
    {
        var recovered = PersonalMessage.Recover("heaven-session:1700000001", Hex.Decode(Vectors.SeedMessageSignature));
        Assert.NotEqual(Signer0.Address, recovered);
    }

    [Fact]
    public void Siwe_message_hash_and_signature_match_the_vector()
    {
        Assert.Equal(275, System.Text.Encoding.UTF8.GetByteCount(Vectors.SiweMessage));
        Assert.Equal(Vectors.SiweHash, PersonalMessage.Hash(Vectors.SiweMessage).ToString());
        Assert.Equal(Vectors.SiweSignature, PersonalMessage.Sign(Vectors.SiweMessage, Signer0).ToHex());
        Assert.Equal(Signer0.Address, PersonalMessage.Recover(Vectors.SiweMessage, Hex.Decode(Vectors.SiweSignature)));
    }

    [Fact]
    public void Every_signature_has_low_s_and_recovers()
    {
        var signer = new PrivateKeySigner(Hex.Decode(Vectors.Key1));
        var highBefore = 0;
        for (var i = 0; i < 64; i++)
        {
            var digest = Keccak256.Hash(BitConverter.GetBytes(i));
            var signature = signer.Sign(digest);
            Assert.True(signature.S <= Secp256k1.HalfOrder);
            Assert.Equal(signer.Address, Secp256k1.RecoverAddress(digest, signature));
            var twin = signature with { S = Secp256k1.Order - signature.S, RecoveryId = (byte)(signature.RecoveryId ^ 1) };
            Assert.Equal(signer.Address, Secp256k1.RecoverAddress(digest, twin));
            highBefore += twin.IsLowS ? 0 : 1;
        }
        Assert.Equal(64, highBefore);
    }

    [Fact]
    public void Recovery_refuses_out_of_range_values()
    {
        var digest = Keccak256.Hash("x"u8);
        Assert.Null(Secp256k1.RecoverAddress(digest, new Signature(BigInteger.Zero, BigInteger.One, 0)));
        Assert.Null(Secp256k1.RecoverAddress(digest, new Signature(BigInteger.One, Secp256k1.Order, 0)));
        Assert.Null(Secp256k1.RecoverAddress(digest, new Signature(BigInteger.One, BigInteger.One, 2)));
    }
}
