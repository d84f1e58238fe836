using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using static SessionVoice.Core.Sessions.Party;
using static SessionVoice.Core.Tests.Sessions.SessionFixture;

namespace SessionVoice.Core.Tests.Sessions;

/// <summary>
/// Rules 1–5 with times worked out by hand. Unless a test says otherwise: a 60-minute slot with
/// 10 minutes' grace and a 30-minute minimum overlap, default parameters (settle 30 s, margin 120 s,
/// early 300 s). So E = S + 3600, G = S + 600, rule 4 starts at G + settle = S + 630,
/// Dl = G + D − margin = S + 4080, the short-overlap ruling is min(E + settle, Dl) = S + 3630 and the
/// last completion is E + 7200 − margin = S + 10680.
/// </summary>
public class OutcomePolicyTests
{
    private static readonly BookingSnapshot Hour = Booking(durationMins: 60, graceMins: 10, minOverlapMins: 30);

    [Fact]
    public void Both_present_completes_the_second_the_settled_overlap_reaches_min_overlap()
    {
        // Together from S + 120; 1800 s later is S + 1920, trusted once settle has passed: S + 1950.
        PresenceEvent[] events = [Join(Host, S - 60), Join(Guest, S + 120)];
        AssertTimeline(Hour, events,
            (S - 600, Wait(S + 630)),
            (S + 629, Wait(S + 630)),
            (S + 630, Wait(S + 1950)),
            (S + 1949, Wait(S + 1950)),
            (S + 1950, Attest(Outcome.Completed)),
            (S + 10680, Attest(Outcome.Completed)),
            (S + 10681, Missed(Outcome.Completed)));
    }

    [Fact]
    public void Host_absent_while_the_guest_came_is_a_host_no_show_from_grace_end_plus_settle_to_Dl()
    {
        PresenceEvent[] events = [Join(Guest, S + 60)];
        AssertTimeline(Hour, events,
            (S + 629, Wait(S + 630)),
            (S + 630, Attest(Outcome.NoShowHost)),
            (S + 4080, Attest(Outcome.NoShowHost)),
            (S + 4081, Missed(Outcome.NoShowHost)));
    }

    [Fact]
    public void Guest_who_joins_after_grace_end_is_a_guest_no_show()
    {
        PresenceEvent[] events = [Join(Host, S - 120), Join(Guest, S + 700), Leave(Guest, S + 800), Leave(Host, S + 2000)];
        AssertTimeline(Hour, events,
            (S + 630, Attest(Outcome.NoShowGuest)),
            (S + 900, Attest(Outcome.NoShowGuest)),
            (S + 4081, Missed(Outcome.NoShowGuest)));
    }

    [Fact]
    public void Seen_means_before_G_a_join_stamped_exactly_at_G_is_late()
    {
        var atG = new PresenceEvent(Guest, PresenceKind.Join, (S + 600) * 1000, PresenceSource.Observed);
        var justBefore = atG with { AtMs = atG.AtMs - 1 };
        Assert.Equal(Attest(Outcome.NoShowGuest), Decide(Hour, [Join(Host, S), atG], S + 630));
        Assert.Equal(Wait(S + 2430), Decide(Hour, [Join(Host, S), justBefore], S + 630));
    }

    [Fact]
    public void Nobody_came_waits_for_Dl_then_refunds_the_guest_as_a_host_no_show()
    {
        AssertTimeline(Hour, [],
            (S - 600, Wait(S + 630)),
            (S + 630, Wait(S + 4080)),
            (S + 4079, Wait(S + 4080)),
            (S + 4080, Attest(Outcome.NoShowHost)),
            (S + 4081, Missed(Outcome.NoShowHost)));
    }

    [Fact]
    public void Nobody_on_time_but_a_late_pair_that_reaches_the_threshold_completes()
    {
        // Both from S + 900: 1800 s later is S + 2700, trusted at S + 2730.
        AssertTimeline(Hour, [Join(Host, S + 900), Join(Guest, S + 900)],
            (S + 630, Wait(S + 2730)),
            (S + 2729, Wait(S + 2730)),
            (S + 2730, Attest(Outcome.Completed)));
    }

    [Fact]
    public void Nobody_on_time_and_a_late_pair_too_short_is_a_host_no_show_at_Dl()
    {
        // From S + 2000 only 1600 s remain before E: the threshold is out of reach, so the wake-up is Dl.
        AssertTimeline(Hour, [Join(Host, S + 2000), Join(Guest, S + 2000)],
            (S + 630, Wait(S + 4080)),
            (S + 4080, Attest(Outcome.NoShowHost)));
        // A late host alone changes nothing: neither was seen by G.
        AssertTimeline(Hour, [Join(Host, S + 900)],
            (S + 630, Wait(S + 4080)),
            (S + 4080, Attest(Outcome.NoShowHost)));
    }

    [Fact]
    public void Both_came_with_a_short_overlap_the_party_with_less_presence_is_the_no_show()
    {
        // Overlap [S + 300, S + 600) = 300 s. Presence in [S, E]: host 600 s, guest 3300 s.
        PresenceEvent[] events = [Join(Host, S - 60), Leave(Host, S + 600), Join(Guest, S + 300), Leave(Guest, S + 3660)];
        AssertTimeline(Hour, events,
            (S + 630, Wait(S + 3630)),
            (S + 3629, Wait(S + 3630)),
            (S + 3630, Attest(Outcome.NoShowHost)),
            (S + 4080, Attest(Outcome.NoShowHost)),
            (S + 4081, Missed(Outcome.NoShowHost)));

        // Host 1000 s, guest 300 s.
        AssertTimeline(Hour, [Join(Host, S), Leave(Host, S + 1000), Join(Guest, S + 100), Leave(Guest, S + 400)],
            (S + 3630, Attest(Outcome.NoShowGuest)));
    }

    [Fact]
    public void Both_came_with_a_short_overlap_and_equal_presence_the_host_is_the_no_show()
    {
        // 600 s each, 300 s together.
        AssertTimeline(Hour, [Join(Host, S), Leave(Host, S + 600), Join(Guest, S + 300), Leave(Guest, S + 900)],
            (S + 3629, Wait(S + 3630)),
            (S + 3630, Attest(Outcome.NoShowHost)));
    }

    [Fact]
    public void A_rejoin_that_completes_the_overlap_is_completed()
    {
        // Together [S + 60, S + 1000) = 940 s, then from S + 1200 another 860 s: S + 2060, trusted at S + 2090.
        PresenceEvent[] rejoined = [Join(Host, S - 60), Join(Guest, S + 60), Leave(Guest, S + 1000), Join(Guest, S + 1200)];
        AssertTimeline(Hour, rejoined,
            (S + 630, Wait(S + 2090)),
            (S + 2089, Wait(S + 2090)),
            (S + 2090, Attest(Outcome.Completed)));

        // Without the rejoin the guest has 940 s against the host's 3600 s.
        AssertTimeline(Hour, rejoined[..3],
            (S + 630, Wait(S + 3630)),
            (S + 3630, Attest(Outcome.NoShowGuest)));
    }

    [Theory]
    [InlineData(BookingStatus.None)]
    [InlineData(BookingStatus.Cancelled)]
    [InlineData(BookingStatus.Attested)]
    [InlineData(BookingStatus.Disputed)]
    [InlineData(BookingStatus.Resolved)]
    [InlineData(BookingStatus.Finalized)]
    public void A_booking_no_longer_booked_on_chain_is_done(BookingStatus status)
    {
        var booking = Booking(60, 10, 30, status: status);
        PresenceEvent[] complete = [Join(Host, S), Join(Guest, S)];
        AssertTimeline(booking, complete,
            (S - 600, new Decision.Done(status)),
            (S + 1950, new Decision.Done(status)),
            (S + 20000, new Decision.Done(status)));
    }

    [Fact]
    public void Short_session_caps_settle_and_margin_at_a_quarter_of_the_duration()
    {
        // D = 60 s: settle and margin become 15 s. G = S, Dl = S + 45, short-overlap ruling min(S + 75, S + 45).
        var minute = Booking(durationMins: 1, graceMins: 0, minOverlapMins: 0);
        AssertTimeline(minute, [],
            (S, Wait(S + 15)),
            (S + 15, Wait(S + 45)),
            (S + 45, Attest(Outcome.NoShowHost)),
            (S + 46, Missed(Outcome.NoShowHost)));
        Assert.True(AttestationWindows.For(minute.Slot).Accepts(Outcome.NoShowHost, S + 45));

        AssertTimeline(minute, [Join(Host, S - 60)],
            (S + 15, Attest(Outcome.NoShowGuest)));

        // Threshold max(O, 1 s) = 1 s: together from S, reached at S + 1, trusted at S + 16.
        AssertTimeline(minute, [Join(Host, S - 60), Join(Guest, S - 60)],
            (S, Wait(S + 15)),
            (S + 15, Wait(S + 16)),
            (S + 16, Attest(Outcome.Completed)));
    }

    [Fact]
    public void Full_attendance_needing_the_whole_duration_without_grace_completes_the_second_the_overlap_is_trusted()
    {
        // O = D and G = S put Dl = S + 45 before the overlap can be trusted complete (S + 60 + settle =
        // S + 75). At Dl (cutoff S + 30) both are in, with 30 s together and 30 s left: staying to E is
        // enough, so nobody is blamed and the wait runs to the completion, past Dl.
        var minute = Booking(durationMins: 1, graceMins: 0, minOverlapMins: 1);
        PresenceEvent[] inFull = [Join(Host, S - 60), Join(Guest, S - 60)];
        AssertTimeline(minute, inFull,
            (S - 600, Wait(S + 15)),
            (S + 15, Wait(S + 45)),
            (S + 44, Wait(S + 45)),
            (S + 45, Wait(S + 75)),
            (S + 46, Wait(S + 75)),
            (S + 74, Wait(S + 75)),
            (S + 75, Attest(Outcome.Completed)));
        Assert.Equal((S + 75, Attest(Outcome.Completed)), FollowWaits(minute, inFull, PolicyParameters.Default, S - 600));

        // Leaving at E or after it is the same attendance.
        PresenceEvent[] leftAtTheEnd = [Join(Host, S - 60), Join(Guest, S - 1), Leave(Guest, S + 60), Leave(Host, S + 90)];
        Assert.Equal((S + 75, Attest(Outcome.Completed)), FollowWaits(minute, leftAtTheEnd, PolicyParameters.Default, S - 600));

        // An hour with a minute's grace and O = D: Dl = S + 3540, completion trusted at S + 3630.
        var hour = Booking(durationMins: 60, graceMins: 1, minOverlapMins: 60);
        AssertTimeline(hour, inFull,
            (S + 90, Wait(S + 3540)),
            (S + 3540, Wait(S + 3630)),
            (S + 3629, Wait(S + 3630)),
            (S + 3630, Attest(Outcome.Completed)));
    }

    [Fact]
    public void Without_grace_a_pair_joining_exactly_at_the_start_and_staying_is_completed_not_a_host_no_show()
    {
        // G = S: a join stamped at S is late, so nobody was seen. At Dl = S + 45 both are in the call with 30 s
        // together and 30 s left, so the late pair is not blamed: the wait runs to the completion at S + 75.
        var minute = Booking(durationMins: 1, graceMins: 0, minOverlapMins: 1);
        PresenceEvent[] atTheStart = [Join(Host, S), Join(Guest, S)];
        Assert.Equal((S + 75, Attest(Outcome.Completed)), FollowWaits(minute, atTheStart, PolicyParameters.Default, S - 600));

        // One of them gone before Dl: nobody on time and no pair that can complete, so the host is the no-show.
        PresenceEvent[] guestLeft = [Join(Host, S), Join(Guest, S), Leave(Guest, S + 5)];
        Assert.Equal((S + 45, Attest(Outcome.NoShowHost)), FollowWaits(minute, guestLeft, PolicyParameters.Default, S - 600));
    }

    [Fact]
    public void Both_in_the_call_at_Dl_whose_overlap_then_ends_short_is_a_missed_window()
    {
        // 60 minutes, 1 minute's grace, O = D: Dl = S + 3540. At Dl (cutoff S + 3510) both are in and
        // could still make 3600 s, so nobody is blamed; the host's leave at S + 3570 is trusted at
        // S + 3600, after Dl: 3570 s each, a tie, and too late for a no-show. The contract's fallback
        // refunds the guest.
        var hour = Booking(durationMins: 60, graceMins: 1, minOverlapMins: 60);
        PresenceEvent[] events = [Join(Host, S - 60), Join(Guest, S - 60), Leave(Host, S + 3570)];
        AssertTimeline(hour, events,
            (S + 3539, Wait(S + 3540)),
            (S + 3540, Wait(S + 3600)),
            (S + 3599, Wait(S + 3600)),
            (S + 3600, Missed(Outcome.NoShowHost)));
        Assert.Equal((S + 3600, Missed(Outcome.NoShowHost)), FollowWaits(hour, events, PolicyParameters.Default, S - 600));
    }

    [Fact]
    public void Both_in_the_call_until_one_leaves_before_Dl_is_the_no_show_of_the_one_with_less_presence()
    {
        // Same slot; the guest leaves at S + 3400, before Dl's cutoff (S + 3510). At Dl the guest is out
        // and the threshold is out of reach: host 3510 s against guest 3400 s, attested while it still can be.
        var hour = Booking(durationMins: 60, graceMins: 1, minOverlapMins: 60);
        PresenceEvent[] events = [Join(Host, S - 60), Join(Guest, S - 60), Leave(Guest, S + 3400)];
        AssertTimeline(hour, events,
            (S + 90, Wait(S + 3540)),
            (S + 3539, Wait(S + 3540)),
            (S + 3540, Attest(Outcome.NoShowGuest)),
            (S + 3541, Missed(Outcome.NoShowGuest)));
        Assert.Equal((S + 3540, Attest(Outcome.NoShowGuest)), FollowWaits(hour, events, PolicyParameters.Default, S - 600));
    }

    [Fact]
    public void Grace_longer_than_the_duration_judges_no_shows_after_the_session_ended()
    {
        // D = 1800, grace 3600, O = 1200: E = S + 1800, G = S + 3600, rule 4 from S + 3630, Dl = S + 5280.
        var booking = Booking(durationMins: 30, graceMins: 60, minOverlapMins: 20);
        AssertTimeline(booking, [Join(Host, S - 60)],
            (S + 100, Wait(S + 3630)),
            (S + 3630, Attest(Outcome.NoShowGuest)),
            (S + 5280, Attest(Outcome.NoShowGuest)),
            (S + 5281, Missed(Outcome.NoShowGuest)));

        // Together from S + 60: 1200 s at S + 1260, trusted at S + 1290, long before G.
        AssertTimeline(booking, [Join(Host, S - 60), Join(Guest, S + 60)],
            (S + 100, Wait(S + 1290)),
            (S + 1290, Attest(Outcome.Completed)));

        // 200 s together; host 300 s, guest 1700 s. The short-overlap ruling (E + settle) is already past at G + settle.
        AssertTimeline(booking, [Join(Host, S - 60), Leave(Host, S + 300), Join(Guest, S + 100)],
            (S + 2000, Wait(S + 3630)),
            (S + 3630, Attest(Outcome.NoShowHost)));

        // A guest arriving after E, still before G, was never in the session.
        AssertTimeline(booking, [Join(Host, S - 60), Join(Guest, S + 2000)],
            (S + 3630, Attest(Outcome.NoShowGuest)));
    }

    [Fact]
    public void Fractional_settle_is_rounded_up_to_whole_seconds()
    {
        var parameters = PolicyParameters.Default with { Settle = TimeSpan.FromMilliseconds(1500) };
        AssertTimeline(Hour, [], parameters,
            (S + 601, Wait(S + 602)),
            (S + 602, Wait(S + 4080)));
    }

    [Fact]
    public void Event_order_and_exact_duplicates_do_not_change_the_decision()
    {
        PresenceEvent[] events = [Join(Host, S - 60), Leave(Host, S + 600), Join(Guest, S + 300), Leave(Guest, S + 3660)];
        PresenceEvent[] shuffled = [events[3], events[1], events[2], events[0], events[1], events[2]];
        for (var t = S - 600; t <= S + 5000; t += 37)
        {
            Assert.Equal(Decide(Hour, events, t), Decide(Hour, shuffled, t));
        }
    }

    [Fact]
    public void Negative_parameters_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PolicyParameters(TimeSpan.FromSeconds(-1), TimeSpan.Zero, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyParameters.Default with { Margin = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyParameters.Default with { Early = TimeSpan.FromTicks(-1) });
    }

    [Fact]
    public void Summary_shows_the_clipped_figures_the_decision_used()
    {
        PresenceEvent[] events = [Join(Host, S - 1000), Leave(Host, S + 600), Join(Guest, S + 300), Leave(Guest, S + 3660)];
        var summary = OutcomePolicy.Summarize(Hour, events, S + 3630, PolicyParameters.Default);
        Assert.Equal(
            new PresenceSummary(
                HostFirstJoinMs: (S - 300) * 1000,
                HostLastLeaveMs: (S + 600) * 1000,
                GuestFirstJoinMs: (S + 300) * 1000,
                GuestLastLeaveMs: (S + 3600) * 1000,
                HostPresentMs: 600_000,
                GuestPresentMs: 3_300_000,
                OverlapMs: 300_000,
                HostSeen: true,
                GuestSeen: true),
            summary);
    }

    [Fact]
    public void Summary_does_not_trust_presence_within_settle_of_now()
    {
        // At S + 1000 the cutoff is S + 970: the guest's leave at S + 990 is not settled, so the guest is still in.
        PresenceEvent[] events = [Join(Host, S), Join(Guest, S + 100), Leave(Guest, S + 990)];
        var summary = OutcomePolicy.Summarize(Hour, events, S + 1000, PolicyParameters.Default);
        Assert.Null(summary.GuestLastLeaveMs);
        Assert.Null(summary.HostLastLeaveMs);
        Assert.Equal(870_000, summary.OverlapMs);
        Assert.Equal(970_000, summary.HostPresentMs);

        var later = OutcomePolicy.Summarize(Hour, events, S + 1020, PolicyParameters.Default);
        Assert.Equal((S + 990) * 1000, later.GuestLastLeaveMs);
        Assert.Equal(890_000, later.OverlapMs);
    }
}
