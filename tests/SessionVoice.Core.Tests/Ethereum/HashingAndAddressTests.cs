using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

public class HashingAndAddressTests
{
    /// <summary>Every length around the 136-byte rate (one, two and three blocks) and random ones, against BouncyCastle's KeccakDigest.</summary>
    [Fact]
    public void Keccak_equals_bouncy_castles_at_every_block_boundary()
    {
        var random = new Random(136);
        var lengths = Enumerable.Range(0, 300).Concat(Enumerable.Range(0, 40).Select(_ => random.Next(300, 5000)));
        var compared = 0;
        foreach (var length in lengths)
        {
            var data = new byte[length];
            random.NextBytes(data);
            var digest = new Org.BouncyCastle.Crypto.Digests.KeccakDigest(256);
            digest.BlockUpdate(data);
            var expected = new byte[32];
            digest.DoFinal(expected);
            Assert.Equal(expected, Keccak256.HashToArray(data));
            compared++;
        }
        Assert.Equal(340, compared);
    }

    [Fact]
    public void Keccak_of_empty_input_is_ethereums_not_sha3s()
    {
        Assert.Equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", Keccak256.Hash([]).ToString());
        Assert.NotEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([])), Keccak256.Hash([]).ToString()[2..]);
    }

    [Fact]
    public void Keccak_of_a_known_string()
    {
        // cast keccak "hello"
        Assert.Equal("0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8", Keccak256.Hash("hello"u8).ToString());
    }

    [Theory]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    [InlineData("0x5fbdb2315678afecb367f032d93f642f64180aa3", "0x5FbDB2315678afecb367f032d93F642f64180aa3")]
    [InlineData("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")]
    public void Eip55_checksum_matches_cast(string lower, string checksummed)
    {
        var address = Address.Parse(lower);
        Assert.Equal(checksummed, address.ToChecksumString());
        Assert.Equal(lower, address.ToString());
        Assert.Equal(address, Address.Parse(checksummed));
        Assert.Equal(address, Address.Parse(lower.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal)));
        Assert.True(Address.HasValidChecksum(checksummed));
        Assert.True(Address.HasValidChecksum(lower));
    }

    [Fact]
    public void A_mixed_case_address_with_a_wrong_checksum_is_flagged()
    {
        Assert.False(Address.HasValidChecksum("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226")]
    [InlineData("0xf39fd6e51aad88f6f4ce6ab8827279cfffb922666")]
    [InlineData("0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266")]
    [InlineData(" 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")]
    public void Malformed_addresses_are_refused(string? text)
    {
        Assert.False(Address.TryParse(text, out _));
    }

    [Fact]
    public void Address_of_anvil_key_0()
    {
        var signer = new PrivateKeySigner(Hex.Decode(Vectors.Key0));
        Assert.Equal(Address.Parse(Vectors.Address0), signer.Address);
        Assert.DoesNotContain("ac0974", signer.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")]
    [InlineData("0x1234")]
    [InlineData("not hex")]
    public void Invalid_private_keys_are_refused(string hex)
    {
        Assert.False(PrivateKeySigner.TryParse(hex, out _));
    }

    [Theory]
    [InlineData("0x0", 0)]
    [InlineData("0x1", 1)]
    [InlineData("0x18c7", 6343)]
    [InlineData("0x00ff", 255)]
    public void Quantities_round_trip(string text, long value)
    {
        Assert.Equal(value, (long)Hex.DecodeQuantity(text));
        if (!text.StartsWith("0x00", StringComparison.Ordinal))
        {
            Assert.Equal(text, Hex.EncodeQuantity(value));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("12")]
    [InlineData("0xzz")]
    [InlineData("-0x1")]
    public void Malformed_quantities_throw(string text)
    {
        Assert.Throws<FormatException>(() => Hex.DecodeQuantity(text));
    }

    [Fact]
    public void Hash32_parses_and_prints_lowercase()
    {
        var text = "0x" + new string('A', 64);
        Assert.True(Hash32.TryParse(text, out var hash));
        Assert.Equal(text.ToLowerInvariant(), hash.ToString());
        Assert.False(Hash32.TryParse("0x" + new string('a', 63), out _));
        Assert.False(Hash32.TryParse(new string('a', 66), out _));
        Assert.Equal(hash, Hash32.FromBytes(hash.ToArray()));
    }
}
