namespace SessionVoice.Core.Sessions;

public enum JoinRefusal
{
    None,
    NotActive,
    NotParticipant,
    TooEarly,
    Ended,
}

/// <summary>Who may enter a booking's channel, and when (api.md, "Join rules").</summary>
public static class JoinPolicy
{
    /// <summary>Participants may join this long before the start.</summary>
    public const long EarlyJoinSeconds = 300;

    /// <summary>Checks in the documented order: status, participant, window [S − 5 min, S + D].</summary>
    public static (JoinRefusal Refusal, Party? Party) Check(BookingSnapshot booking, Ethereum.Address wallet, long nowUnixSeconds)
    {
        if (booking.Booking.Status != Escrow.BookingStatus.Booked)
        {
            return (JoinRefusal.NotActive, null);
        }
        if (booking.PartyOf(wallet) is not { } party)
        {
            return (JoinRefusal.NotParticipant, null);
        }
        if (nowUnixSeconds < booking.Slot.StartTime - EarlyJoinSeconds)
        {
            return (JoinRefusal.TooEarly, party);
        }
        if (nowUnixSeconds > booking.Slot.EndTime)
        {
            return (JoinRefusal.Ended, party);
        }
        return (JoinRefusal.None, party);
    }
}
