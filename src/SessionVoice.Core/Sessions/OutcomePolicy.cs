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
/// Dl = G + D − margin.
/// </para>
/// <para>
/// <b>How <see cref="Decision.Wait"/> is computed.</b> Without new events the answer depends on t in
/// only two ways: through fixed rule boundaries, and through the overlap, which never shrinks as t
/// grows. Because every given event is already in the presence sets, the moment the overlap will
/// reach the threshold is known now: walk host ∩ guest ∩ [S, E) to the point c where its measure
/// reaches the threshold; the first second trusting it is t* = ⌈c / 1000 ⌉ + settle (never before
/// S + O, since the overlap cannot exceed t − settle − S). The wait is then the earliest of t* and
/// the boundary of the branch the booking is in:
/// rule 3 (t &lt; G + settle): min(t*, G + settle);
/// rule 4, nobody seen: min(t*, Dl);
/// rule 4, both seen: min(t*, min(E + settle, Dl)).
/// In each branch nothing else moves, so every t' in [t, until) gives the same Wait(until): the
/// wake-up is never late and never skips a window. A branch that decides at its boundary decides
/// inside the contract's window, so following waits from any earlier t ends in Attest, not WindowMissed.
/// </para>
/// <para>
/// Presence is never counted past t − settle, not even a closed interval whose leave is stamped later:
/// so the answer at t depends only on events stamped before t − settle, and a late webhook within
/// settle cannot make two callers at the same t disagree. <see cref="Decision.WindowMissed"/> is
/// terminal for the caller (no transaction); the function itself may still answer Completed later in
/// the one case where Dl falls before E + settle (grace &lt; settle + margin) and both are still in.
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
            (false, false) => nowUnixSeconds < bounds.NoShowDeadline
                ? WaitUntil(bounds.NoShowDeadline, completesAt)
                : NoShow(Outcome.NoShowHost, nowUnixSeconds, bounds),
            // Both on time but not together long enough: the one who was there less is the no-show (tie → host).
            (true, true) => nowUnixSeconds < bounds.ShortOverlapRuling
                ? WaitUntil(bounds.ShortOverlapRuling, completesAt)
                : NoShow(
                    presence.PresentInSessionMs(Party.Host, cutoffMs) <= presence.PresentInSessionMs(Party.Guest, cutoffMs)
                        ? Outcome.NoShowHost
                        : Outcome.NoShowGuest,
                    nowUnixSeconds,
                    bounds),
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

    // Rule 5: a no-show decided after Dl could not be mined before G + D; say so instead of sending it.
    private static Decision NoShow(Outcome outcome, long nowUnixSeconds, PolicyBoundaries bounds) =>
        nowUnixSeconds <= bounds.NoShowDeadline ? new Decision.Attest(outcome) : new Decision.WindowMissed(outcome);

    private static Decision.Wait WaitUntil(long boundary, long? completesAt) =>
        new(completesAt is { } at ? Math.Min(boundary, at) : boundary);
}
