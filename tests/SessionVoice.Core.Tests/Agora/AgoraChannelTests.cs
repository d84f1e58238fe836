using System.Numerics;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Tests.Agora;

public class AgoraChannelTests
{
    private const string AllowedPunctuation = " !#$%&()+-:;<=.>?@[]^_{}|~,";

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("a*b")]
    [InlineData("café")]
    [InlineData("日本")]
    [InlineData("tab\there")]
    [InlineData("quote\"")]
    [InlineData("slash/")]
    [InlineData("back\\slash")]
    [InlineData("apostrophe'")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Invalid_names_are_refused(string name)
    {
        Assert.False(AgoraChannel.TryCreate(name, out _));
    }

    [Fact]
    public void Null_is_refused()
    {
        Assert.False(AgoraChannel.TryCreate(null!, out _));
    }

    [Fact]
    public void Allowed_alphabet_is_exactly_89_ascii_characters()
    {
        var accepted = Enumerable.Range(0, 128).Select(c => (char)c).Where(c => AgoraChannel.TryCreate(c.ToString(), out _)).ToArray();
        Assert.Equal(89, accepted.Length);
        Assert.All(AllowedPunctuation, c => Assert.Contains(c, accepted));
        Assert.DoesNotContain('*', accepted);
    }

    [Fact]
    public void Sixty_three_bytes_is_the_longest_name()
    {
        var name = new string('a', 63);
        Assert.True(AgoraChannel.TryCreate(name, out var ch));
        Assert.Equal(name, ch.Name);
        Assert.False(AgoraChannel.TryCreate(name + "a", out _));
    }

    [Fact]
    public void Booking_channel_round_trips()
    {
        Assert.True(AgoraChannel.TryForBooking(6343, new BookingId(7), out var ch));
        Assert.Equal("heaven-6343-7", ch.Name);

        Assert.True(AgoraChannel.TryParseBooking("heaven-6343-7", out var chainId, out var id));
        Assert.Equal(6343UL, chainId);
        Assert.Equal(new BookingId(7), id);
    }

    [Fact]
    public void Seventy_eight_digit_booking_id_is_refused()
    {
        var id = new BookingId(BigInteger.Pow(2, 256) - 1);
        Assert.Equal(78, id.ToString().Length);
        Assert.False(AgoraChannel.TryForBooking(6343, id, out _));
    }

    [Fact]
    public void Longest_booking_id_that_fits_is_accepted()
    {
        // "heaven-6343-" is 12 bytes, leaving 51 digits.
        var id = BookingId.Parse(new string('9', 51));
        Assert.True(AgoraChannel.TryForBooking(6343, id, out var ch));
        Assert.Equal(63, ch.Name.Length);
        Assert.True(AgoraChannel.TryParseBooking(ch.Name, out _, out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(AgoraChannel.TryForBooking(6343, BookingId.Parse(new string('9', 52)), out _));
    }

    [Theory]
    [InlineData("heaven-6343-07")]
    [InlineData("heaven-06343-7")]
    [InlineData("heaven-6343-")]
    [InlineData("heaven--7")]
    [InlineData("heaven-6343")]
    [InlineData("heaven-6343-7-1")]
    [InlineData("heaven-+6343-7")]
    [InlineData("heaven-6343-+7")]
    [InlineData("heaven-6343- 7")]
    [InlineData("Heaven-6343-7")]
    [InlineData("heaven-6343-7 ")]
    [InlineData("heaven-18446744073709551616-7")]
    [InlineData("test_webhook")]
    [InlineData("")]
    public void Non_canonical_booking_channels_do_not_parse(string name)
    {
        Assert.False(AgoraChannel.TryParseBooking(name, out _, out _));
    }

    [Fact]
    public void Booking_channels_round_trip_over_many_ids()
    {
        var random = new Random(64);
        for (var i = 0; i < 500; i++)
        {
            var chainId = (ulong)random.NextInt64(1, long.MaxValue) >> random.Next(0, 63);
            var bytes = new byte[random.Next(1, 21)];
            random.NextBytes(bytes);
            var id = new BookingId(new BigInteger(bytes, isUnsigned: true));
            if (!AgoraChannel.TryForBooking(chainId, id, out var ch))
            {
                Assert.True($"heaven-{chainId}-{id}".Length > 63);
                continue;
            }
            Assert.True(AgoraChannel.TryParseBooking(ch.Name, out var parsedChain, out var parsedId), ch.Name);
            Assert.Equal((chainId, id), (parsedChain, parsedId));
        }
    }
}
