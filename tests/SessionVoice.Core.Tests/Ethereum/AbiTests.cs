using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

public class AbiTests
{
    [Theory]
    [InlineData("attest(uint256,uint8,bytes32)", "33fe248b")]
    [InlineData("getBooking(uint256)", "6a5c841a")]
    [InlineData("getSlot(uint256)", "7eba7ba6")]
    [InlineData("isValidSignature(bytes32,bytes)", "1626ba7e")]
    [InlineData("Error(string)", "08c379a0")]
    [InlineData("Panic(uint256)", "4e487b71")]
    public void Selectors_match_cast_sig(string signature, string selector)
    {
        Assert.Equal(selector, Convert.ToHexStringLower(Abi.Selector(signature)));
    }

    [Fact]
    public void Attest_calldata_matches_the_vector()
    {
        var data = EscrowAbi.AttestCall(new BookingId(42), Outcome.Completed, Hash32.Parse("0x" + new string('1', 64)));
        Assert.Equal(Vectors.AttestData, Hex.Encode(data));
    }

    [Theory]
    [InlineData(Outcome.None)]
    [InlineData((Outcome)4)]
    [InlineData((Outcome)5)]
    public void Attest_calldata_refuses_outcomes_the_contract_rejects(Outcome outcome)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EscrowAbi.AttestCall(new BookingId(1), outcome, Hash32.Zero));
    }

    [Fact]
    public void Uint_values_outside_their_width_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AbiEncoder().UInt(256, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AbiEncoder().UInt(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AbiEncoder().UInt(Abi.MaxUInt256 + 1));
        Assert.Equal(32, new AbiEncoder().UInt(Abi.MaxUInt256).ToArray().Length);
    }

    [Fact]
    public void Dynamic_bytes_get_an_offset_and_a_padded_tail()
    {
        var encoded = new AbiEncoder().Bytes32(Hash32.Zero).Bytes([0xde, 0xad]).ToArray();
        Assert.Equal(4 * 32, encoded.Length);
        var reader = new AbiDecoder(encoded);
        Assert.Equal(64, (int)reader.UInt(1));
        Assert.Equal(2, (int)reader.UInt(2));
        Assert.Equal([0xde, 0xad], reader.Bytes(1));
    }

    [Fact]
    public void Error_string_revert_is_decoded()
    {
        var data = new AbiEncoder().String("NOT_BOOKED").ToCall(Abi.Selector("Error(string)"));
        Assert.Equal("0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000a4e4f545f424f4f4b454400000000000000000000000000000000000000000000", Hex.Encode(data));
        var reason = Assert.IsType<RevertReason.ErrorString>(RevertReason.Decode(data));
        Assert.Equal("NOT_BOOKED", reason.Message);
        Assert.Equal(EscrowErrorKind.NotBooked, EscrowError.FromRevert(reason).Kind);
    }

    [Fact]
    public void Panic_revert_is_decoded()
    {
        var data = Hex.Decode("0x4e487b710000000000000000000000000000000000000000000000000000000000000012");
        var panic = Assert.IsType<RevertReason.Panic>(RevertReason.Decode(data));
        Assert.Equal(new BigInteger(0x12), panic.Code);
        Assert.Equal("division or modulo by zero", panic.Meaning);
        Assert.Equal(EscrowErrorKind.Unknown, EscrowError.FromRevert(panic).Kind);
    }

    [Fact]
    public void Custom_error_keeps_selector_and_arguments()
    {
        var data = new AbiEncoder().Address(Address.Parse(Vectors.Address0)).ToCall(Abi.Selector("NotOracle(address)"));
        var custom = Assert.IsType<RevertReason.CustomError>(RevertReason.Decode(data));
        Assert.Equal(Abi.Selector("NotOracle(address)"), custom.Selector);
        Assert.Equal(Address.Parse(Vectors.Address0), new AbiDecoder(custom.Arguments).Address(0));
    }

    [Fact]
    public void Empty_and_truncated_reverts_do_not_throw()
    {
        Assert.IsType<RevertReason.Empty>(RevertReason.Decode([]));
        Assert.IsType<RevertReason.Empty>(RevertReason.Decode([0x08, 0xc3]));
        // Error(string) whose length runs past the data: kept raw, never an exception.
        var broken = Hex.Decode("0x08c379a00000000000000000000000000000000000000000000000000000000000000020ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
        Assert.IsType<RevertReason.CustomError>(RevertReason.Decode(broken));
    }

    [Theory]
    [InlineData("NOT_ORACLE", EscrowErrorKind.NotOracle, false, false)]
    [InlineData("NOT_BOOKED", EscrowErrorKind.NotBooked, false, false)]
    [InlineData("BAD_OUTCOME", EscrowErrorKind.BadOutcome, false, false)]
    [InlineData("BAD_ATTEST_OUTCOME", EscrowErrorKind.BadOutcome, false, false)]
    [InlineData("GRACE_NOT_OVER", EscrowErrorKind.GraceNotOver, true, false)]
    [InlineData("OVERLAP_NOT_MET", EscrowErrorKind.OverlapNotMet, true, false)]
    [InlineData("NO_SHOW_TOO_LATE", EscrowErrorKind.NoShowTooLate, false, true)]
    [InlineData("TOO_LATE", EscrowErrorKind.TooLate, false, true)]
    [InlineData("SOMETHING_ELSE", EscrowErrorKind.Unknown, false, false)]
    public void Escrow_reasons_are_typed(string reason, EscrowErrorKind kind, bool notDueYet, bool windowMissed)
    {
        var error = EscrowError.FromRevert(new RevertReason.ErrorString(reason));
        Assert.Equal(kind, error.Kind);
        Assert.Equal(notDueYet, error.IsNotDueYet);
        Assert.Equal(windowMissed, error.IsWindowMissed);
    }

    [Fact]
    public void Decoder_refuses_dirty_words_and_short_data()
    {
        var word = new byte[32];
        word[0] = 1;
        var reader = new AbiDecoder(word);
        Assert.Throws<AbiDecodingException>(() => reader.Address(0));
        Assert.Throws<AbiDecodingException>(() => reader.UInt(0, 8));
        Assert.Throws<AbiDecodingException>(() => reader.Bool(0));
        Assert.Throws<AbiDecodingException>(() => reader.Word(1));
    }
}
