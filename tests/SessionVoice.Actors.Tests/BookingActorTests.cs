using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors.Tests;

public class BookingActorTests
{
    [Fact]
    public async Task Tracking_registers_a_one_shot_reminder_at_the_time_the_policy_asks()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.Actor.TrackAsync();
        var wake = h.Reminders.Reminders[BookingActor.DecideReminder];
        Assert.Equal(TimeSpan.Zero, wake.DueTime);
        Assert.Equal(BookingActor.OneShot, wake.Period);

        Assert.True(await h.FireDueReminderAsync());
        // Before anyone joined: rule 3 waits until G + settle = S + 2 min + 30 s.
        var state = await h.Actor.GetStateAsync();
        Assert.Equal(h.Start + 150, state.DueAtUnix);
        var next = h.Reminders.Reminders[BookingActor.DecideReminder];
        var expected = h.Start + 150 - h.Time.GetUtcNow().ToUnixTimeSeconds();
        Assert.InRange(next.DueTime.TotalSeconds, expected - 1, expected + 1);
        Assert.Equal(BookingActor.OneShot, next.Period);
    }

    [Fact]
    public async Task Presence_re_registers_the_reminder_and_state_survives_reactivation()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.Actor.TrackAsync();
        await h.FireDueReminderAsync();
        var before = h.Reminders.Log.Count;

        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        Assert.True(h.Reminders.Log.Count > before);
        Assert.Equal(TimeSpan.Zero, h.Reminders.Reminders[BookingActor.DecideReminder].DueTime);
        await h.FireDueReminderAsync();

        var first = await h.Actor.GetStateAsync();
        var reactivated = h.Activate();
        var second = await reactivated.GetStateAsync();
        Assert.Single(second.Claims);
        Assert.Equal(first.Claims, second.Claims);
        Assert.Equal(first.DueAtUnix, second.DueAtUnix);
        Assert.Equal(first.LastDecision, second.LastDecision);
    }

    [Fact]
    public async Task Presence_wakes_a_costly_booking_after_its_gap_and_never_after_the_wake_up_already_set()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.Actor.TrackAsync();
        await h.FireDueReminderAsync(); // decided: wait until S + 150
        Assert.False(h.BookingStore.ContainsKey(ActorBookingStore.WakeNotBeforeKey)); // a cheap decision writes no gap

        // As if that decision had taken 400 ms: presence may wake the booking 8 s after it.
        var now = h.Time.GetUtcNow().ToUnixTimeSeconds();
        h.BookingStore[ActorBookingStore.WakeNotBeforeKey] = (now + 8).ToString(System.Globalization.CultureInfo.InvariantCulture);
        h.Activate();
        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        Assert.Equal(now + 8, (await h.Actor.GetStateAsync()).DueAtUnix);
        Assert.InRange(h.Reminders.Reminders[BookingActor.DecideReminder].DueTime.TotalSeconds, 7, 8);

        // A gap reaching past the wake-up already set does not move it.
        h.BookingStore[ActorBookingStore.WakeNotBeforeKey] = (h.Start + 1_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        h.Activate();
        await h.ClaimAsync(Party.Host, PresenceKind.Leave);
        Assert.Equal(now + 8, (await h.Actor.GetStateAsync()).DueAtUnix);
    }

    [Fact]
    public async Task Both_present_is_attested_completed_through_the_oracle_actor()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        await h.ClaimAsync(Party.Guest, PresenceKind.Join);
        await h.PlayUntilAsync(h.Start + 4 * 60);
        await AssertAttestedAsync(h, Outcome.Completed);
    }

    [Fact]
    public async Task Only_the_guest_is_a_host_no_show()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.ClaimAsync(Party.Guest, PresenceKind.Join);
        await h.PlayUntilAsync(h.Start + 151);
        await AssertAttestedAsync(h, Outcome.NoShowHost);
    }

    [Fact]
    public async Task Only_the_host_is_a_guest_no_show()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        await h.PlayUntilAsync(h.Start + 151);
        await AssertAttestedAsync(h, Outcome.NoShowGuest);
    }

    [Fact]
    public async Task Nobody_came_is_a_host_no_show_at_Dl()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.Actor.TrackAsync();
        await h.PlayUntilAsync(h.Start + 2 * 60 + 10 * 60 - 120);
        await AssertAttestedAsync(h, Outcome.NoShowHost);
    }

    [Fact]
    public async Task Short_overlap_makes_the_one_with_less_presence_the_no_show()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        await h.ClaimAsync(Party.Guest, PresenceKind.Join);
        await h.PlayUntilAsync(h.Start + 60);
        await h.ClaimAsync(Party.Guest, PresenceKind.Leave);
        await h.PlayUntilAsync(h.Start + 2 * 60 + 10 * 60 - 120);
        await AssertAttestedAsync(h, Outcome.NoShowGuest);
    }

    [Fact]
    public async Task Attest_returns_the_stored_result_without_a_second_transaction()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        await h.ClaimAsync(Party.Guest, PresenceKind.Join);
        await h.Time.AdvanceToAsync(h.Chain.Anvil, h.Start + 4 * 60);
        var first = await h.Actor.AttestAsync(new AttestRequestDto(null, null));
        Assert.Null(first.Refusal);
        // Answered once broadcast, not mined: the actor's turn never waits for a block.
        Assert.Equal(AttestationStatus.Pending, first.Attestation!.Status);
        Assert.NotNull(first.Attestation.TxHash);
        await h.PlayChecksAsync();
        Assert.Equal(AttestationStatus.Final, (await h.Actor.GetStateAsync()).Attestation!.Status);
        var nonce = await h.Chain.Anvil.Eth.GetTransactionCountAsync(Testing.EscrowChain.Oracle, Core.Ethereum.BlockTag.Latest);
        var second = await h.Activate().AttestAsync(new AttestRequestDto(null, null));
        Assert.Equal(first.Attestation.TxHash, second.Attestation!.TxHash);
        Assert.Equal(nonce, await h.Chain.Anvil.Eth.GetTransactionCountAsync(Testing.EscrowChain.Oracle, Core.Ethereum.BlockTag.Latest));
        Assert.False(h.Reminders.Reminders.ContainsKey(BookingActor.DecideReminder));
    }

    [Fact]
    public async Task A_decision_that_fails_sets_its_own_reminder_again_and_the_booking_is_still_attested()
    {
        var flaky = default(FlakyDirectory);
        await using var h = await ActorHarness.StartAsync(directory: inner => flaky = new FlakyDirectory(inner));
        await h.ClaimAsync(Party.Guest, PresenceKind.Join);
        await h.PlayUntilAsync(h.Start + 149);

        // The chain cannot be read when the decision falls due: the callback still succeeds (daprd would drop a
        // reminder that failed three times), and the reminder is set again, sooner each time at first.
        flaky!.Failing = true;
        await h.Time.AdvanceToAsync(h.Chain.Anvil, h.Start + 150);
        var retries = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            await h.Actor.ReceiveReminderAsync(BookingActor.DecideReminder, [], TimeSpan.Zero, BookingActor.OneShot);
            retries.Add(h.Reminders.Reminders[BookingActor.DecideReminder].DueTime);
        }
        Assert.True(flaky.Failures >= 4);
        Assert.InRange(retries[0].TotalSeconds, 0, 1);
        Assert.InRange(retries[3].TotalSeconds, 3, 5);
        Assert.StartsWith("evaluation failed (4x)", (await h.Actor.GetStateAsync()).LastDecision, StringComparison.Ordinal);

        // A reactivated actor (or the sweep) re-arms the reminder of an unfinished booking even when one is stored.
        h.Reminders.Reminders.Clear();
        await h.Activate().TrackAsync();
        Assert.True(h.Reminders.Reminders.ContainsKey(BookingActor.DecideReminder));

        flaky.Failing = false;
        await h.Time.AdvanceToAsync(h.Chain.Anvil, h.Start + 160);
        Assert.True(await h.FireDueReminderAsync());
        await AssertAttestedAsync(h, Outcome.NoShowHost);
    }

    [Fact]
    public async Task A_forced_outcome_through_the_actor_is_audited_in_its_state_whether_accepted_or_refused()
    {
        await using var h = await ActorHarness.StartAsync();
        await h.ClaimAsync(Party.Host, PresenceKind.Join);
        await h.PlayUntilAsync(h.Start + 60);

        var refused = await h.Actor.AttestAsync(new AttestRequestDto((int)Outcome.NoShowGuest, "service-token@10.0.0.1"));
        Assert.Equal((AttestRefusal.ForceRefused, "grace not over"), (refused.Refusal, refused.Reason));
        Assert.Null((await h.Actor.GetStateAsync()).Attestation);

        await h.Time.AdvanceToAsync(h.Chain.Anvil, h.Start + 2 * 60 + 5);
        var accepted = await h.Activate().AttestAsync(new AttestRequestDto((int)Outcome.NoShowGuest, "service-token@10.0.0.1"));
        Assert.Null(accepted.Refusal);
        Assert.Equal(AttestationStatus.Pending, accepted.Attestation!.Status);

        var audit = await new ActorBookingStore(new InMemoryActorStateManager(h.BookingStore), h.Booking.Id).AuditDtosAsync(default);
        Assert.Equal(["no-show-guest: refused: grace not over", "no-show-guest: accepted"], audit.Select(a => a.Detail));
        Assert.All(audit, a => Assert.Equal(("service-token@10.0.0.1", "force_outcome"), (a.Actor, a.Action)));
        await AssertAttestedAsync(h, Outcome.NoShowGuest);
    }

    /// <summary>The chain's bookings, unreadable while <see cref="Failing"/> (an RPC that refuses).</summary>
    private sealed class FlakyDirectory(IBookingDirectory inner) : IBookingDirectory
    {
        private int _failures;

        public bool Failing { get; set; }

        public int Failures => Volatile.Read(ref _failures);

        public Task<BookingSnapshot?> GetAsync(BookingId id, CancellationToken ct)
        {
            if (Failing)
            {
                Interlocked.Increment(ref _failures);
                throw new Core.Ethereum.RpcException("eth_call", new Core.Ethereum.RpcError(0, "transport: Connection refused", null));
            }
            return inner.GetAsync(id, ct);
        }
    }

    private static async Task AssertAttestedAsync(ActorHarness h, Outcome outcome)
    {
        await h.PlayChecksAsync();
        var onChain = await h.Chain.Escrow.GetBookingAsync(h.Booking.Id);
        Assert.Equal(BookingStatus.Attested, onChain!.Status);
        Assert.Equal(outcome, onChain.OracleOutcome);
        var state = await h.Actor.GetStateAsync();
        Assert.Equal(AttestationStatus.Final, state.Attestation!.Status);
        Assert.Equal(onChain.MetricsHash.ToString(), state.Attestation.MetricsHash);
        // Settled: no reminder left behind, and the oracle actor's record is finished.
        Assert.Null(state.DueAtUnix);
        Assert.False(h.Reminders.Reminders.ContainsKey(BookingActor.DecideReminder));
        Assert.Contains(h.OracleStore.Keys, k => k.StartsWith("Tx:", StringComparison.Ordinal));
    }
}
