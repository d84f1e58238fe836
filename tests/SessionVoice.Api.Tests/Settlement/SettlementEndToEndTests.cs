using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>
/// Sessions played out against anvil with no call to /attest: the service decides and attests by itself.
/// Booking: starts 2 min after creation, 10 min long, grace 2 min, min overlap 3 min.
/// </summary>
public class SettlementEndToEndTests
{
    [Fact]
    public async Task Both_present_long_enough_is_attested_completed()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);
    }

    [Fact]
    public async Task Only_the_guest_came_is_a_host_no_show()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowHost);
    }

    [Fact]
    public async Task Only_the_host_came_is_a_guest_no_show()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.AdvanceToAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowGuest);
    }

    [Fact]
    public async Task Nobody_came_is_a_host_no_show_found_by_the_watcher()
    {
        await using var s = await SettlementScenario.StartAsync();
        // Nobody calls the service for this booking: only the escrow's SessionBooked log tracks it.
        // Dl = G + D − margin: the last second a no-show may be decided (rule 5), and the policy's wake-up.
        await s.PlayUntilAsync(s.Start + 2 * 60 + 10 * 60 - 120);
        await s.AssertAttestedAsync(Outcome.NoShowHost);
    }

    [Fact]
    public async Task Both_came_but_the_overlap_was_short_makes_the_one_with_less_presence_the_no_show()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 60);
        await s.LeaveAsync(s.GuestToken);
        // The guest never returns; the host stays. At min(E + settle, G + D − margin) the guest is the no-show.
        await s.PlayUntilAsync(s.Start + 2 * 60 + 10 * 60 - 120);
        await s.AssertAttestedAsync(Outcome.NoShowGuest);
    }

    [Fact]
    public async Task A_rejoin_that_completes_the_overlap_is_completed()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 60);
        await s.LeaveAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 2 * 60);
        await s.JoinAsync(s.GuestToken);
        // Overlap so far: [S, S+1m) + [S+2m, now − settle). At S + 4.5 min that is 3 min.
        await s.AdvanceToAsync(s.Start + 5 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);
    }

    [Fact]
    public async Task A_restart_in_the_middle_of_a_session_loses_nothing()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 60);
        await s.RestartApiAsync();
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);
    }
}
