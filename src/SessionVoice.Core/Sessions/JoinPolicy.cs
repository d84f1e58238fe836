
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

    /// <summary>
    /// Whether a booking in this on-chain status keeps its channel open. Only a cancelled booking (or
    /// one the contract does not know) closes it: the oracle may attest <c>Completed</c> as soon as the
    /// overlap is reached, mid-session, and a dispute or its resolution can follow within the window too,
    /// but the parties paid for the whole slot, so a party whose connection drops after that must still
    /// be able to rejoin and renew its token until the end.
    /// </summary>
    public static bool KeepsChannelOpen(Escrow.BookingStatus status) =>
        status is Escrow.BookingStatus.Booked or Escrow.BookingStatus.Attested or Escrow.BookingStatus.Disputed
            or Escrow.BookingStatus.Resolved or Escrow.BookingStatus.Finalized;

    /// <summary>Checks in the documented order: status, participant, window [S − 5 min, S + D].</summary>
    public static (JoinRefusal Refusal, Party? Party) Check(BookingSnapshot booking, Ethereum.Address wallet, long nowUnixSeconds)
    {
        if (!KeepsChannelOpen(booking.Booking.Status))
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
