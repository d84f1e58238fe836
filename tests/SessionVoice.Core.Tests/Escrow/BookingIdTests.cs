using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Escrow;

public class BookingIdTests
{
    [Theory]
    [InlineData("1", "1")]
    [InlineData("07", "7")]
    [InlineData("0000000042", "42")]
    [InlineData("0", "0")]
    [InlineData("115792089237316195423570985008687907853269984665640564039457584007913129639935", "115792089237316195423570985008687907853269984665640564039457584007913129639935")]
    public void Ids_are_read_canonically(string text, string canonical)
    {
        Assert.True(BookingId.TryParse(text, out var id));
        Assert.Equal(canonical, id.ToString());
        Assert.Equal(BookingId.Parse(canonical), id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("1.0")]
    [InlineData("١")]
    [InlineData("115792089237316195423570985008687907853269984665640564039457584007913129639936")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000000000000000001")]
    public void Anything_but_a_decimal_uint256_is_refused(string? text)
    {
        Assert.False(BookingId.TryParse(text, out _));
    }

    [Fact]
    public void Constructor_refuses_values_outside_uint256()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BookingId(BigInteger.MinusOne));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BookingId(Abi.MaxUInt256 + 1));
    }
}
