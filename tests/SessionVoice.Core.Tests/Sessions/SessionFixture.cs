using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Core.Tests.Sessions;

/// <summary>Bookings and presence events written the way the tables read: times in unix seconds.</summary>
internal static class SessionFixture
{
    public const long S = 1_700_000_000;

    public static readonly Address HostAddress = Address.Parse("0x1111111111111111111111111111111111111111");
    public static readonly Address GuestAddress = Address.Parse("0x2222222222222222222222222222222222222222");

    public static BookingSnapshot Booking(uint durationMins, uint graceMins, uint minOverlapMins, long start = S, BookingStatus status = BookingStatus.Booked) =>
        new(
            new Slot(7, HostAddress, start, durationMins, new Wei(1000), graceMins, minOverlapMins, 60, SlotStatus.Booked),
            new Booking(new BookingId(42), 7, GuestAddress, new Wei(1000), status, Outcome.None, Hash32.Zero, 0, 0, Address.Zero, new Wei(0), 0));

    public static PresenceEvent Join(Party party, long unixSeconds, PresenceSource source = PresenceSource.Observed) =>
        new(party, PresenceKind.Join, unixSeconds * 1000, source);

    public static PresenceEvent Leave(Party party, long unixSeconds, PresenceSource source = PresenceSource.Observed) =>
        new(party, PresenceKind.Leave, unixSeconds * 1000, source);

    public static Decision Decide(BookingSnapshot booking, PresenceEvent[] events, long now, PolicyParameters? parameters = null) =>
        OutcomePolicy.Decide(booking, events, now, parameters ?? PolicyParameters.Default);

    public static Decision Wait(long until) => new Decision.Wait(until);

    public static Decision Attest(Outcome outcome) => new Decision.Attest(outcome);

    public static Decision Missed(Outcome outcome) => new Decision.WindowMissed(outcome);

    /// <summary>
    /// Follows the policy's wake-ups from <paramref name="from"/> the way the settlement loop does
    /// without new events: ask, sleep until the wait ends, ask again. Returns the first answer that is
    /// not a wait and its second; the times of the waits passed on the way go to <paramref name="waits"/>.
    /// </summary>
    public static (long At, Decision Decision) FollowWaits(
        BookingSnapshot booking, IReadOnlyList<PresenceEvent> events, PolicyParameters parameters, long from, List<long>? waits = null)
    {
        var at = from;
        for (var step = 0; step < 10; step++)
        {
            var decision = OutcomePolicy.Decide(booking, events, at, parameters);
            if (decision is not Decision.Wait { UntilUnixSeconds: var until })
            {
                return (at, decision);
            }
            Assert.True(until > at);
            waits?.Add(at);
            at = until;
        }
        throw new InvalidOperationException(
            "more than 10 wake-ups: the policy should decide within five (G + settle, overlap, Dl or the short-overlap ruling, a leave of a pair in the call at the ruling)");
    }

    /// <summary>Checks a whole timeline at once so a table row names the second it is about.</summary>
    public static void AssertTimeline(BookingSnapshot booking, PresenceEvent[] events, params (long At, Decision Expected)[] rows) =>
        AssertTimeline(booking, events, PolicyParameters.Default, rows);

    public static void AssertTimeline(BookingSnapshot booking, PresenceEvent[] events, PolicyParameters parameters, params (long At, Decision Expected)[] rows)
    {
        foreach (var (at, expected) in rows)
        {
            var actual = OutcomePolicy.Decide(booking, events, at, parameters);
            Assert.True(expected == actual, $"at S{at - booking.Slot.StartTime:+#;-#;+0}: expected {expected}, got {actual}");
        }
    }
}
