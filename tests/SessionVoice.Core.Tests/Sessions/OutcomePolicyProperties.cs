using FsCheck;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using Outcome = SessionVoice.Core.Escrow.Outcome;
using static SessionVoice.Core.Tests.Sessions.SessionFixture;

namespace SessionVoice.Core.Tests.Sessions;

/// <summary>
/// Properties of <see cref="OutcomePolicy.Decide"/> over generated slots, parameters, presence logs
/// and times (generators in <see cref="PolicyGenerators"/>). Each test asserts how many cases ran.
/// </summary>
public class OutcomePolicyProperties
{
    private static readonly Gen<Scenario> Scenarios = PolicyGenerators.Scenarios(PolicyGenerators.Slots());

    /// <summary>
    /// The contract's timing checks re-derived from its revert table (escrow-and-attestation.md), on
    /// purpose not through <see cref="AttestationWindows"/>, so the two can disagree.
    /// </summary>
    private static bool ContractWouldAccept(SlotShape slot, Outcome outcome, long blockTimestamp)
    {
        var start = slot.Start;
        var duration = 60L * slot.DurationMins;
        var graceEnd = start + (60L * slot.GraceMins);
        switch ((byte)outcome)
        {
            case 2 or 3:
                if (blockTimestamp < graceEnd)
                {
                    return false; // GRACE_NOT_OVER
                }
                return blockTimestamp <= graceEnd + duration; // else NO_SHOW_TOO_LATE
            case 1:
                if (blockTimestamp < start + (60L * slot.MinOverlapMins))
                {
                    return false; // OVERLAP_NOT_MET
                }
                return blockTimestamp <= start + duration + (2 * 60 * 60); // else TOO_LATE
            default:
                return false; // BAD_OUTCOME
        }
    }

    /// <summary>What the policy keeps in hand: the margin in whole seconds, at most a quarter of the duration.</summary>
    private static long MarginKept(SlotShape slot, PolicyParameters parameters) =>
        Math.Min((long)Math.Ceiling(parameters.Margin.TotalSeconds), slot.D / 4);

    /// <summary>What the policy waits for late webhooks: settle in whole seconds, at most a quarter of the duration.</summary>
    private static long SettleKept(SlotShape slot, PolicyParameters parameters) =>
        Math.Min((long)Math.Ceiling(parameters.Settle.TotalSeconds), slot.D / 4);

    /// <summary>Dl = G + D − margin: the last second the policy sends a no-show.</summary>
    private static long NoShowDeadline(SlotShape slot, PolicyParameters parameters) => slot.G + slot.D - MarginKept(slot, parameters);

    [Fact]
    public void Every_attest_is_accepted_by_the_contract_at_that_time_and_for_the_margin_after()
    {
        var ran = PropertyRuns.Run(Scenarios, 5000, s =>
        {
            var decision = s.Decide(s.Now);
            if (s.Status != BookingStatus.Booked)
            {
                Assert.Equal(new Decision.Done(s.Status), decision);
                return;
            }
            Assert.IsNotType<Decision.Done>(decision);
            if (decision is Decision.Attest { Outcome: var outcome })
            {
                Assert.True(AttestationWindows.For(s.Booking.Slot).Accepts(outcome, s.Now), $"AttestationWindows refuses {outcome}");
                // The margin is there so a transaction mined a little later still lands inside the window.
                for (var mined = s.Now; mined <= s.Now + MarginKept(s.Slot, s.Parameters); mined++)
                {
                    Assert.True(ContractWouldAccept(s.Slot, outcome, mined), $"the contract refuses {outcome} mined at S{mined - s.Slot.Start:+#;-#;+0}");
                }
                var summary = OutcomePolicy.Summarize(s.Booking, s.Events, s.Now, s.Parameters);
                var threshold = Math.Max(s.Slot.O, 1) * 1000;
                Assert.Equal(outcome == Outcome.Completed, summary.OverlapMs >= threshold);
            }
        });
        Assert.Equal(5000, ran);
    }

    [Fact]
    public void Decide_is_deterministic_and_ignores_event_order_and_exact_duplicates()
    {
        var ran = PropertyRuns.Run(Scenarios, 3000, s =>
        {
            var first = s.Decide(s.Now);
            Assert.Equal(first, s.Decide(s.Now));
            Assert.Equal(first, OutcomePolicy.Decide(s.Booking, s.Reordered, s.Now, s.Parameters));
            Assert.Equal(
                OutcomePolicy.Summarize(s.Booking, s.Events, s.Now, s.Parameters),
                OutcomePolicy.Summarize(s.Booking, s.Reordered, s.Now, s.Parameters));
        });
        Assert.Equal(3000, ran);
    }

    [Fact]
    public void More_presence_never_turns_a_completion_into_a_no_show_nor_blames_the_party_who_got_it()
    {
        static Party? Blamed(Decision d) => d switch
        {
            Decision.Attest { Outcome: Outcome.NoShowHost } or Decision.WindowMissed { Outcome: Outcome.NoShowHost } => Party.Host,
            Decision.Attest { Outcome: Outcome.NoShowGuest } or Decision.WindowMissed { Outcome: Outcome.NoShowGuest } => Party.Guest,
            _ => null,
        };
        var ran = PropertyRuns.Run(PolicyGenerators.MonotoneScenarios, 4000, m =>
        {
            var booking = m.Slot.Booking();
            var before = PolicyGenerators.EventsOf(Party.Host, m.Host).Concat(PolicyGenerators.EventsOf(Party.Guest, m.Guest)).ToList();
            var hostAfter = m.ExtraFor == Party.Guest ? m.Host : [.. m.Host, .. m.Extra];
            var guestAfter = m.ExtraFor == Party.Host ? m.Guest : [.. m.Guest, .. m.Extra];
            var after = PolicyGenerators.EventsOf(Party.Host, hostAfter).Concat(PolicyGenerators.EventsOf(Party.Guest, guestAfter)).ToList();

            var was = OutcomePolicy.Decide(booking, before, m.Now, m.Parameters);
            var now = OutcomePolicy.Decide(booking, after, m.Now, m.Parameters);
            if (was is Decision.Attest { Outcome: Outcome.Completed } or Decision.WindowMissed { Outcome: Outcome.Completed })
            {
                Assert.Equal(was, now);
            }
            if (m.ExtraFor is { } party && Blamed(now) == party)
            {
                Assert.Equal(party, Blamed(was));
            }
        });
        Assert.Equal(4000, ran);
    }

    [Fact]
    public void A_wait_ends_after_now_and_nothing_changes_before_it_ends()
    {
        var ran = PropertyRuns.Run(Scenarios, 4000, s =>
        {
            if (s.Decide(s.Now) is not Decision.Wait { UntilUnixSeconds: var until } wait)
            {
                return;
            }
            Assert.True(until > s.Now, $"wait until S{until - s.Slot.Start:+#;-#;+0} is not after now");
            // Exactness: every second before the wake-up gives the same answer, so the wake-up skips nothing.
            var inside = s.Now + ((until - 1 - s.Now) * s.Fraction / 1_000_000);
            Assert.Equal(wait, s.Decide(inside));
            Assert.Equal(wait, s.Decide(until - 1));
        });
        Assert.Equal(4000, ran);
    }

    [Fact]
    public void Following_wake_ups_ends_in_an_attest_the_contract_accepts_missing_a_window_only_after_a_pair_in_the_call_at_the_ruling_ended_short()
    {
        // The one missed window allowed: at the short-overlap ruling both were in the call with the
        // threshold still reachable by E, so the policy waited; the overlap then ended short and a
        // leave was trusted only after Dl, too late for a no-show (the contract refunds the guest).
        var ran = PropertyRuns.Run(Scenarios, 4000, s =>
        {
            var booking = s.Slot.Booking();
            // From before the session, and from the generated time whenever that is a wait.
            foreach (var from in new[] { s.Slot.Start - 600, s.Now })
            {
                if (from == s.Now && OutcomePolicy.Decide(booking, s.Events, from, s.Parameters) is not Decision.Wait)
                {
                    continue;
                }
                var waits = new List<long>();
                var (at, decision) = FollowWaits(booking, s.Events, s.Parameters, from, waits);
                if (decision is Decision.WindowMissed missed)
                {
                    AssertMissedOnlyAfterAPairInTheCallEndedShort(s, missed, at, waits[^1]);
                    continue;
                }
                var attest = Assert.IsType<Decision.Attest>(decision);
                Assert.True(ContractWouldAccept(s.Slot, attest.Outcome, at), $"the contract refuses {attest.Outcome} at S{at - s.Slot.Start:+#;-#;+0}");
            }
        });
        Assert.Equal(4000, ran);
    }

    private static void AssertMissedOnlyAfterAPairInTheCallEndedShort(Scenario s, Decision.WindowMissed missed, long at, long lastWait)
    {
        Assert.True(missed.Outcome is Outcome.NoShowHost or Outcome.NoShowGuest, $"missed {missed.Outcome} at S{at - s.Slot.Start:+#;-#;+0}");
        Assert.True(at > NoShowDeadline(s.Slot, s.Parameters), $"missed a no-show at S{at - s.Slot.Start:+#;-#;+0}, not after Dl");
        var settle = SettleKept(s.Slot, s.Parameters);
        var ruling = Math.Min(s.Slot.E + settle, NoShowDeadline(s.Slot, s.Parameters));
        Assert.True(lastWait >= ruling, $"the wait before the miss, at S{lastWait - s.Slot.Start:+#;-#;+0}, was before the ruling");
        var summary = OutcomePolicy.Summarize(s.Slot.Booking(), s.Events, lastWait, s.Parameters);
        Assert.True(summary.HostFirstJoinMs is not null && summary.HostLastLeaveMs is null, "the host was not in the call at the ruling");
        Assert.True(summary.GuestFirstJoinMs is not null && summary.GuestLastLeaveMs is null, "the guest was not in the call at the ruling");
        var cutoffMs = (lastWait - settle) * 1000;
        Assert.True(
            summary.OverlapMs + Math.Max(0, (s.Slot.E * 1000) - cutoffMs) >= Math.Max(s.Slot.O, 1) * 1000,
            "the threshold was already out of reach at the ruling");
    }

    [Fact]
    public void A_session_both_attend_in_full_is_completed_for_every_slot()
    {
        // Every slot the contract allows (1–240 min, grace 0–600 min, any overlap up to the duration):
        // following the wake-ups from any time before S, full attendance is never a no-show nor a missed window.
        var ran = PropertyRuns.Run(PolicyGenerators.FullAttendances(PolicyGenerators.Slots()), 3000, a =>
        {
            var booking = a.Slot.Booking();
            var (at, decision) = FollowWaits(booking, a.Events, a.Parameters, a.From);
            Assert.Equal(new Decision.Attest(Outcome.Completed), decision);
            Assert.True(AttestationWindows.For(booking.Slot).Accepts(Outcome.Completed, at), $"AttestationWindows refuses Completed at S{at - a.Slot.Start:+#;-#;+0}");
        });
        Assert.Equal(3000, ran);
    }

    [Fact]
    public void Following_wake_ups_reaches_the_same_first_answer_as_asking_every_second()
    {
        // Short slots only, so a second-by-second scan stays cheap. This is property (e) stated exactly:
        // the first non-wait answer a per-second poller would see is the one the wake-ups lead to, at
        // the same second, so the policy never sleeps past a window it could have used.
        var small = PolicyGenerators.Scenarios(PolicyGenerators.Slots(maxDurationMins: 10, maxGraceMins: 10));
        var ran = PropertyRuns.Run(small, 400, s =>
        {
            var booking = s.Slot.Booking();
            var walked = FollowWaits(booking, s.Events, s.Parameters, s.Slot.Start - 600);
            var at = s.Slot.Start - 600;
            Decision decision;
            while ((decision = OutcomePolicy.Decide(booking, s.Events, at, s.Parameters)) is Decision.Wait)
            {
                at++;
            }
            Assert.Equal((at, decision), walked);
        });
        Assert.Equal(400, ran);
    }
}
