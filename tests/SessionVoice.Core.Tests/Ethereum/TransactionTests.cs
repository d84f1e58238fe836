using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

public class TransactionTests
{
    private static readonly PrivateKeySigner Signer0 = new(Hex.Decode(Vectors.Key0));
    private static readonly Address Escrow = Address.Parse(Vectors.Escrow);

    private static LegacyTransaction Legacy(ulong nonce = 7) =>
        new(6343, nonce, 1_000_000, 100_000, Escrow, 0, Hex.Decode(Vectors.AttestData));

    private static Eip1559Transaction Dynamic(ulong nonce = 7) =>
        new(6343, nonce, 1_000_000, 2_000_000_000, 100_000, Escrow, 0, Hex.Decode(Vectors.AttestData));

    [Theory]
    [InlineData(0, "80")]
    [InlineData(1, "01")]
    [InlineData(127, "7f")]
    [InlineData(128, "8180")]
    [InlineData(256, "820100")]
    [InlineData(6343, "8218c7")]
    public void Rlp_integers_are_minimal(long value, string expected)
    {
        Assert.Equal(expected, Convert.ToHexStringLower(Rlp.EncodeInteger(value)));
    }

    [Fact]
    public void Rlp_strings_and_lists()
    {
        Assert.Equal("c0", Convert.ToHexStringLower(Rlp.EncodeList([])));
        Assert.Equal("80", Convert.ToHexStringLower(Rlp.EncodeBytes([])));
        Assert.Equal("00", Convert.ToHexStringLower(Rlp.EncodeBytes([0x00])));
        Assert.Equal("8180", Convert.ToHexStringLower(Rlp.EncodeBytes([0x80])));
        var dog = Rlp.EncodeBytes("dog"u8);
        Assert.Equal("83646f67", Convert.ToHexStringLower(dog));
        Assert.Equal("c8836361748364" + "6f67", Convert.ToHexStringLower(Rlp.EncodeList([Rlp.EncodeBytes("cat"u8), dog])));
        var long56 = Rlp.EncodeBytes(new byte[56]);
        Assert.Equal("b838", Convert.ToHexStringLower(long56[..2]));
        Assert.Equal(58, long56.Length);
        var long1024 = Rlp.EncodeBytes(new byte[1024]);
        Assert.Equal("b90400", Convert.ToHexStringLower(long1024[..3]));
    }

    [Fact]
    public void Legacy_eip155_vector_matches_cast()
    {
        var tx = Legacy();
        Assert.Equal(Vectors.LegacySighash, tx.SigningHash().ToString());
        var signed = tx.Sign(Signer0);
        Assert.Equal(Vectors.LegacyRaw, signed.RawHex);
        Assert.Equal(Vectors.LegacyHash, signed.Hash.ToString());
    }

    [Fact]
    public void Legacy_v_carries_the_chain_id()
    {
        var raw = Legacy().Sign(Signer0).Raw;
        // v = recid + 6343·2 + 35 = 12721 (0x31b1) for recid 0.
        Assert.Contains("8231b1", Convert.ToHexStringLower(raw), StringComparison.Ordinal);
    }

    [Fact]
    public void Eip1559_vector_matches_cast()
    {
        var tx = Dynamic();
        Assert.Equal(Vectors.Eip1559Sighash, tx.SigningHash().ToString());
        var signed = tx.Sign(Signer0);
        Assert.Equal(Vectors.Eip1559Raw, signed.RawHex);
        Assert.Equal(Vectors.Eip1559Hash, signed.Hash.ToString());
    }

    [Fact]
    public void Signature_r_or_s_with_a_leading_zero_byte_is_stripped_in_rlp()
    {
        // Search nonces for a signature whose r or s is below 2^248: RLP must write it as 31 bytes.
        for (ulong nonce = 0; nonce < 5000; nonce++)
        {
            var tx = Legacy(nonce);
            var signature = Signer0.Sign(tx.SigningHash());
            var small = signature.R < BigInteger.One << 248 ? signature.R : signature.S < BigInteger.One << 248 ? signature.S : BigInteger.MinusOne;
            if (small.Sign < 0)
            {
                continue;
            }
            var raw = Convert.ToHexStringLower(tx.EncodeSigned(signature));
            var word = new byte[32];
            small.TryWriteBytes(word, out _, isUnsigned: true, isBigEndian: true);
            Assert.DoesNotContain("a000" + Convert.ToHexStringLower(word.AsSpan(1, 31)), raw, StringComparison.Ordinal);
            Assert.Contains("9f" + Convert.ToHexStringLower(small.ToByteArray(isUnsigned: true, isBigEndian: true)).PadLeft(62, '0'), raw, StringComparison.Ordinal);
            return;
        }
        Assert.Fail("no signature with a leading zero byte in 5000 nonces");
    }
}
