using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using static SessionVoice.Core.Tests.Sessions.SessionFixture;

namespace SessionVoice.Core.Tests.Sessions;

public class JoinPolicyTests
{
    [Theory]
    [InlineData(BookingStatus.Booked)]
    [InlineData(BookingStatus.Attested)]
    [InlineData(BookingStatus.Disputed)]
    [InlineData(BookingStatus.Resolved)]
    [InlineData(BookingStatus.Finalized)]
    public void Both_parties_may_join_inside_the_window_whatever_the_attestation_says(BookingStatus status)
    {
        var booking = Booking(10, 2, 3, status: status);
        Assert.Equal((JoinRefusal.None, Party.Host), JoinPolicy.Check(booking, HostAddress, S + 60));
        Assert.Equal((JoinRefusal.None, Party.Guest), JoinPolicy.Check(booking, GuestAddress, S + 10 * 60));
    }

    [Theory]
    [InlineData(BookingStatus.Cancelled)]
    [InlineData(BookingStatus.None)]
    public void A_cancelled_or_unknown_booking_closes_the_channel(BookingStatus status)
    {
        var booking = Booking(10, 2, 3, status: status);
        Assert.Equal(JoinRefusal.NotActive, JoinPolicy.Check(booking, HostAddress, S + 60).Refusal);
        Assert.Equal(JoinRefusal.NotActive, JoinPolicy.Check(booking, GuestAddress, S + 60).Refusal);
    }

    [Theory]
    [InlineData(BookingStatus.Booked)]
    [InlineData(BookingStatus.Attested)]
    public void An_attested_booking_keeps_the_other_rules(BookingStatus status)
    {
        var booking = Booking(10, 2, 3, status: status);
        Assert.Equal(JoinRefusal.NotParticipant, JoinPolicy.Check(booking, Address.Parse("0x3333333333333333333333333333333333333333"), S).Refusal);
        Assert.Equal(JoinRefusal.TooEarly, JoinPolicy.Check(booking, GuestAddress, S - JoinPolicy.EarlyJoinSeconds - 1).Refusal);
        Assert.Equal(JoinRefusal.None, JoinPolicy.Check(booking, GuestAddress, S - JoinPolicy.EarlyJoinSeconds).Refusal);
        Assert.Equal(JoinRefusal.Ended, JoinPolicy.Check(booking, HostAddress, S + 10 * 60 + 1).Refusal);
    }
}
