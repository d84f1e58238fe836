using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>
/// Which outcome to attest for a booking, and when (escrow-and-attestation.md, "The decision",
/// rules 1–5). A pure function of the booking, the presence events the caller chose to count, the
/// time t (unix seconds) and the parameters: it never reads a clock, and event order does not matter.
/// </summary>
/// <remarks>
/// <para>
/// Notation: S, D, E, G, O as in <see cref="AttestationWindows"/>; settle and margin are the
/// parameters rounded up to whole seconds and capped at D/4; cutoff = t − settle (presence after it is
/// not trusted yet); overlap = |host ∩ guest ∩ [S, min(cutoff, E))|; threshold = max(O, 1 s);
/// Dl = G + D − margin; the short-overlap ruling is min(E + settle, Dl). A party is "in the call at
/// the cutoff" when one of its stretches of presence (clipped to [S − early, E], open ones running to
/// E) has From &lt; cutoff &lt; To.
/// </para>
/// <para>
/// <b>How <see cref="Decision.Wait"/> is computed.</b> Without new events the answer depends on t in
/// only three ways: through fixed rule boundaries, through the overlap, which never shrinks as t
/// grows, and (rule 4, both seen, from the ruling on) through who is in the call at the cutoff.
/// Because every given event is already in the presence sets, the moment the overlap will reach the
/// threshold is known now: walk host ∩ guest ∩ [S, E) to the point c where its measure reaches the
/// threshold; the first second trusting it is t* = ⌈c / 1000 ⌉ + settle (never before S + O, since
/// the overlap cannot exceed t − settle − S). The wait is then the earliest of t* and the boundary of
/// the branch the booking is in:
/// rule 3 (t &lt; G + settle): min(t*, G + settle);
/// rule 4, nobody seen: min(t*, Dl);
/// rule 4, both seen, before the ruling: min(t*, min(E + settle, Dl));
/// rule 4, both seen, from the ruling on, both in the call at the cutoff and overlap + (E − cutoff)
/// ≥ threshold: min(t*, ⌈L / 1000⌉ + settle), where L is the earlier end of the two stretches that
/// hold them in the call, the first second at which the cutoff reaches a leave (or E).
/// In each branch nothing else moves: in the last one, while both stay in, the overlap grows exactly
/// as fast as E − cutoff shrinks, so the reachability test cannot change before L. So every t' in
/// [t, until) gives the same Wait(until): the wake-up is never late and never skips a window (and a
/// presence event wakes the booking anyway).
/// </para>
/// <para>
/// A branch that decides at its boundary decides inside the contract's window, so following waits from
/// any earlier t ends in Attest, with one exception: a pair both in the call at a ruling on Dl whose
/// overlap then ends short is judged when the cutoff reaches a leave, after Dl, and answers
/// <see cref="Decision.WindowMissed"/> for the one with less presence (the contract's
/// <c>claimIfUnattested</c> then refunds the guest). A session both attend from start to end (joined by
/// S, and before G: with no grace a join stamped exactly at S = G is late) always completes: if the
/// ruling comes before t*, both are in at its cutoff and overlap + (E − cutoff) = D ≥ threshold.
/// </para>
/// <para>
/// Presence is never counted past t − settle, not even a closed interval whose leave is stamped later:
/// so the answer at t depends only on events stamped at or before t − settle (a leave stamped exactly
/// at it is settled, as in <see cref="Summarize"/>), and a late webhook within settle cannot make two
/// callers at the same t disagree. <see cref="Decision.WindowMissed"/> is terminal for the caller (no
/// transaction); the function itself may still answer otherwise later, for instance Completed when a
/// party who was out at the cutoff of a no-show ruling comes back and the overlap still completes.
/// </para>
/// </remarks>
public static class OutcomePolicy
{
    public static Decision Decide(BookingSnapshot booking, IReadOnlyList<PresenceEvent> events, long nowUnixSeconds, PolicyParameters parameters)
    {
        // Rule 1: anything but Booked means someone already settled it; attest would revert NOT_BOOKED.
        if (booking.Booking.Status != BookingStatus.Booked)
        {
            return new Decision.Done(booking.Booking.Status);
        }
        var bounds = new PolicyBoundaries(booking.Slot, parameters);
        var presence = new SessionPresence(bounds, events);
        var cutoffMs = bounds.CutoffMs(nowUnixSeconds);
        long? completesAt = presence.OverlapReachesMs(bounds.ThresholdMs) is { } reachMs
            ? Math.Max(bounds.FirstSecondTrusting(reachMs), bounds.Windows.CompletedOpens)
            : null;

        // Rule 2: a met overlap wins over any no-show; the contract takes it from S + O to E + 2 h.
        if (presence.OverlapMs(cutoffMs) >= bounds.ThresholdMs && nowUnixSeconds >= bounds.Windows.CompletedOpens)
        {
            return nowUnixSeconds <= bounds.CompletedDeadline
                ? new Decision.Attest(Outcome.Completed)
                : new Decision.WindowMissed(Outcome.Completed);
        }

        // Rule 3: a join stamped just before G may still be on its way until G + settle.
        if (nowUnixSeconds < bounds.RulingFrom)
        {
            return WaitUntil(bounds.RulingFrom, completesAt);
        }

        // Rule 4, judged on presence in [S − early, G).
        return (presence.Seen(Party.Host, cutoffMs), presence.Seen(Party.Guest, cutoffMs)) switch
        {
            (false, true) => NoShow(Outcome.NoShowHost, nowUnixSeconds, bounds),
            (true, false) => NoShow(Outcome.NoShowGuest, nowUnixSeconds, bounds),
            // Nobody on time: a late pair may still complete; otherwise the guest is refunded at Dl,
            // as the contract's own fallback would do.
            // A pair that came late but is in the call at Dl and could still reach the threshold by E is not
            // blamed either (the same exception as for the both-seen ruling).
            (false, false) => nowUnixSeconds < bounds.NoShowDeadline
                ? WaitUntil(bounds.NoShowDeadline, completesAt)
                : BothStaying(presence, cutoffMs, bounds, completesAt) ?? NoShow(Outcome.NoShowHost, nowUnixSeconds, bounds),
            // Both on time but not together long enough: judged from the short-overlap ruling on.
            (true, true) => nowUnixSeconds < bounds.ShortOverlapRuling
                ? WaitUntil(bounds.ShortOverlapRuling, completesAt)
                : ShortOverlap(presence, cutoffMs, nowUnixSeconds, bounds, completesAt),
        };
    }

    /// <summary>The figures <see cref="Decide"/> used at this time, for display and for the metrics commitment.</summary>
    public static PresenceSummary Summarize(BookingSnapshot booking, IReadOnlyList<PresenceEvent> events, long nowUnixSeconds, PolicyParameters parameters)
    {
        var bounds = new PolicyBoundaries(booking.Slot, parameters);
        var presence = new SessionPresence(bounds, events);
        var cutoffMs = bounds.CutoffMs(nowUnixSeconds);
        return new PresenceSummary(
            presence.FirstJoinMs(Party.Host, cutoffMs),
            presence.LastLeaveMs(Party.Host, cutoffMs),
            presence.FirstJoinMs(Party.Guest, cutoffMs),
            presence.LastLeaveMs(Party.Guest, cutoffMs),
            presence.PresentInSessionMs(Party.Host, cutoffMs),
            presence.PresentInSessionMs(Party.Guest, cutoffMs),
            presence.OverlapMs(cutoffMs),
            presence.Seen(Party.Host, cutoffMs),
            presence.Seen(Party.Guest, cutoffMs));
    }

    // Rule 4, both on time, overlap short at the ruling. With grace < settle + margin the ruling is Dl,
    // before E + settle: a pair still in the call may yet reach the threshold by E, so nobody is blamed
    // while both are in and staying to E would be enough. While both are in, the overlap grows exactly
    // as fast as the time left before E shrinks, so the answer holds until the cutoff reaches the first
    // of their two current stretches' ends, or the overlap is trusted complete (rule 2) first.
    // Otherwise the one who was there less is the no-show (tie → host), missed if past Dl (rule 5).
    private static Decision ShortOverlap(SessionPresence presence, long cutoffMs, long nowUnixSeconds, PolicyBoundaries bounds, long? completesAt)
    {
        if (BothStaying(presence, cutoffMs, bounds, completesAt) is { } wait)
        {
            return wait;
        }
        return NoShow(
            presence.PresentInSessionMs(Party.Host, cutoffMs) <= presence.PresentInSessionMs(Party.Guest, cutoffMs)
                ? Outcome.NoShowHost
                : Outcome.NoShowGuest,
            nowUnixSeconds,
            bounds);
    }

    // Both in the call at the cutoff, and staying to E would reach the threshold: the wait for the completion,
    // until the first of their two current stretches ends (or the overlap is trusted complete); else null.
    private static Decision.Wait? BothStaying(SessionPresence presence, long cutoffMs, PolicyBoundaries bounds, long? completesAt) =>
        presence.InCallUntilMs(Party.Host, cutoffMs) is { } hostInUntilMs
        && presence.InCallUntilMs(Party.Guest, cutoffMs) is { } guestInUntilMs
        && presence.OverlapMs(cutoffMs) + Math.Max(0, bounds.SessionToMs - cutoffMs) >= bounds.ThresholdMs
            ? WaitUntil(bounds.FirstSecondTrusting(Math.Min(hostInUntilMs, guestInUntilMs)), completesAt)
            : null;

    // Rule 5: a no-show decided after Dl could not be mined before G + D; say so instead of sending it.
    private static Decision NoShow(Outcome outcome, long nowUnixSeconds, PolicyBoundaries bounds) =>
        nowUnixSeconds <= bounds.NoShowDeadline ? new Decision.Attest(outcome) : new Decision.WindowMissed(outcome);

    private static Decision.Wait WaitUntil(long boundary, long? completesAt) =>
        new(completesAt is { } at ? Math.Min(boundary, at) : boundary);
}
