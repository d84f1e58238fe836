using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Sessions;

/// <summary>
/// The channel stays open to the booking's two parties for the whole join window whatever the
/// attestation says; only a cancelled booking closes it. Booking: starts 2 min after creation,
/// 10 min long, grace 2 min, min overlap 3 min; the service's and anvil's clocks move together.
/// </summary>
public class RejoinTests
{
    private static Task<HttpResponseMessage> JoinAsync(SettlementScenario s, string token) =>
        s.Client.PostJsonAsync("/session/join", new { booking_id = s.Booking.Id.ToString() }, token);

    private static Task<HttpResponseMessage> RenewAsync(SettlementScenario s, string token) =>
        s.Client.PostRawAsync($"/session/{s.Booking.Id}/token", "", token);

    [Fact]
    public async Task A_party_who_drops_after_the_completed_attestation_rejoins_and_renews_before_the_end()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);

        await s.LeaveAsync(s.GuestToken);
        // Past the booking cache's bound, so the service has certainly read the Attested status.
        await s.AdvanceToAsync(s.Start + 4 * 60 + (long)ChainBookingDirectory.BookingTtl.TotalSeconds + 1);
        Assert.Equal("attested", (await s.StatsAsync()).GetProperty("bookingStatus").GetString());

        var (hostUid, guestUid) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        var rejoin = await JoinAsync(s, s.GuestToken);
        var rejoined = await rejoin.JsonAsync();
        Assert.True(rejoin.IsSuccessStatusCode, rejoined.ToString());
        Assert.Equal($"heaven-6343-{s.Booking.Id}", rejoined.GetProperty("channel").GetString());
        Assert.Equal(guestUid, rejoined.GetProperty("user_uid").GetUInt32());
        Assert.StartsWith("007", rejoined.GetProperty("agora_token").GetString(), StringComparison.Ordinal);

        // Close to the end E both renew: still the same channel and uids.
        await s.AdvanceToAsync(s.Start + 10 * 60 - 30);
        foreach (var (token, uid) in new[] { (s.GuestToken, guestUid), (s.HostToken, hostUid) })
        {
            var renew = await RenewAsync(s, token);
            var renewed = await renew.JsonAsync();
            Assert.True(renew.IsSuccessStatusCode, renewed.ToString());
            Assert.Equal(uid, renewed.GetProperty("user_uid").GetUInt32());
            Assert.Equal(rejoined.GetProperty("channel").GetString(), renewed.GetProperty("channel").GetString());
        }
        Assert.True((await JoinAsync(s, s.HostToken)).IsSuccessStatusCode);

        // The other join rules still hold: after E the window is closed, attested or not.
        await s.AdvanceToAsync(s.Start + 10 * 60 + 2);
        await (await JoinAsync(s, s.GuestToken)).AssertErrorAsync(400, "session has ended");
        await (await RenewAsync(s, s.HostToken)).AssertErrorAsync(400, "session has ended");
        // The outcome on chain is untouched by the rejoin.
        Assert.Equal(Outcome.Completed, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.OracleOutcome);
    }

    [Fact]
    public async Task A_booking_cancelled_on_chain_refuses_joins_and_renewals_within_the_cache_bound()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.HostToken);
        Assert.True((await RenewAsync(s, s.GuestToken)).IsSuccessStatusCode);

        await s.Chain.CancelAsync(s.Booking.Id, s.Booking.Guest);
        await s.AdvanceToAsync(s.Time.GetUtcNow().ToUnixTimeSeconds() + (long)ChainBookingDirectory.BookingTtl.TotalSeconds + 1);

        await (await JoinAsync(s, s.HostToken)).AssertErrorAsync(400, "booking not active");
        await (await JoinAsync(s, s.GuestToken)).AssertErrorAsync(400, "booking not active");
        await (await RenewAsync(s, s.GuestToken)).AssertErrorAsync(400, "booking not active");
        await (await RenewAsync(s, s.HostToken)).AssertErrorAsync(400, "booking not active");
    }
}
