using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Tests.Settlement;

public class AttestApiTests
{
    [Fact]
    public async Task Attest_now_returns_the_outcome_and_a_second_call_returns_the_stored_result()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: new Dictionary<string, string?> { ["SCHEDULER_INTERVAL_MS"] = "60000" });
        await s.JoinAsync(s.HostToken);
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 4 * 60);
        var before = await s.OracleNonceAsync();

        // Answered once broadcast: the request never waits for a block.
        var first = await (await s.AttestAsync()).JsonAsync();
        Assert.Equal("completed", first.GetProperty("outcome").GetString());
        Assert.Equal("pending", first.GetProperty("status").GetString());
        Assert.Equal("waiting for a receipt", first.GetProperty("reason").GetString());
        var txHash = first.GetProperty("tx_hash").GetString();
        Assert.NotNull(txHash);

        // The next call checks what was sent (automine: it is in a block by now) and sends nothing.
        var second = await s.AttestAsync();
        Assert.Equal(200, (int)second.StatusCode);
        var secondJson = await second.JsonAsync();
        Assert.Equal(txHash, secondJson.GetProperty("tx_hash").GetString());
        Assert.Equal("mined", secondJson.GetProperty("status").GetString());
        Assert.False(secondJson.TryGetProperty("reason", out _));
        Assert.Equal(before + 1, await s.OracleNonceAsync());
        Assert.Equal(Outcome.Completed, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.OracleOutcome);
    }

    [Fact]
    public async Task Service_token_is_required_and_checked()
    {
        await using var s = await SettlementScenario.StartAsync();
        await (await s.AttestAsync(token: null)).AssertErrorAsync(401, "invalid service token");
        await (await s.AttestAsync(token: "wrong")).AssertErrorAsync(401, "invalid service token");
        await (await s.AttestAsync(bookingId: "0x1")).AssertErrorAsync(400, "booking id must be a decimal uint256");
        await (await s.AttestAsync(bookingId: "999")).AssertErrorAsync(404, "booking not found");
        var notDue = await s.AttestAsync();
        Assert.Equal(409, (int)notDue.StatusCode);
        Assert.StartsWith("outcome not decided yet", (await notDue.JsonAsync()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_configured_service_token_attest_and_sweep_answer_503()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: new Dictionary<string, string?> { ["SERVICE_TOKEN"] = null });
        await (await s.AttestAsync()).AssertErrorAsync(503, "service token not configured");
        using var sweep = new HttpRequestMessage(HttpMethod.Post, "/attest-sweep");
        sweep.Headers.Add("X-Service-Token", "anything");
        await (await s.Client.SendAsync(sweep)).AssertErrorAsync(503, "service token not configured");
    }

    [Fact]
    public async Task Force_outcome_needs_the_switch_and_is_audited()
    {
        await using (var off = await SettlementScenario.StartAsync())
        {
            await (await off.AttestAsync("?force_outcome=no-show-guest")).AssertErrorAsync(403, "force_outcome is disabled");
        }
        await using var s = await SettlementScenario.StartAsync(extraSettings: new Dictionary<string, string?> { ["ALLOW_FORCE_OUTCOME"] = "1" });
        await (await s.AttestAsync("?force_outcome=maybe")).AssertErrorAsync(400, "force_outcome must be completed, no-show-host or no-show-guest");
        await s.JoinAsync(s.HostToken);
        // A few seconds past G: anvil's clock may trail the service's by up to a second per jump, and the
        // contract (asked first) refuses a no-show before G.
        await s.PlayUntilAsync(s.Start + 2 * 60 + 5);
        var forced = await s.AttestAsync("?force_outcome=no-show-guest");
        var json = await forced.JsonAsync();
        Assert.True(forced.IsSuccessStatusCode, json.ToString());
        Assert.Equal("no-show-guest", json.GetProperty("outcome").GetString());
        var stats = await s.StatsAsync();
        Assert.Equal("3", stats.GetProperty("metrics").GetProperty("fields").GetProperty("source").GetString());
        var store = s.Api.Services.GetService(typeof(Standalone.SqliteSettlementStore)) as Standalone.SqliteSettlementStore;
        var audit = Assert.Single(store!.AuditFor(s.Booking.Id));
        Assert.Equal("force_outcome", audit.Action);
        Assert.Equal("no-show-guest: accepted", audit.Detail);
        Assert.StartsWith("service-token@", audit.Actor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twenty_bookings_due_at_once_are_all_attested_with_distinct_nonces()
    {
        await using var s = await SettlementScenario.StartAsync();
        var others = new List<Testing.TestBooking>();
        for (var i = 0; i < 19; i++)
        {
            others.Add(await s.Chain.CreateBookingAsync(s.Start, 10, 2, 3));
        }
        var before = await s.OracleNonceAsync();
        // Nobody came to any of them: all fall due at the same second, Dl.
        await s.PlayUntilAsync(s.Start + 2 * 60 + 10 * 60 - 120);
        await s.WaitForAttestedAsync(TimeSpan.FromSeconds(60));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var all = await s.Chain.Escrow.GetBookingsAsync([s.Booking.Id, .. others.Select(o => o.Id)]);
            if (all.All(b => b!.Status == BookingStatus.Attested))
            {
                Assert.All(all, b => Assert.Equal(Outcome.NoShowHost, b!.OracleOutcome));
                Assert.Equal(before + 20, await s.OracleNonceAsync());
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("not every booking was attested");
    }

    [Fact]
    public async Task A_window_missed_is_recorded_without_a_transaction()
    {
        await using var s = await SettlementScenario.StartAsync(startsInSeconds: -3 * 3600);
        var before = await s.OracleNonceAsync();
        // The watcher finds the old booking; nobody can be attested for it any more.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        System.Text.Json.JsonElement attestation = default;
        while (DateTime.UtcNow < deadline)
        {
            attestation = (await s.StatsAsync()).GetProperty("attestation");
            if (attestation.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                break;
            }
            await Task.Delay(100);
        }
        Assert.Equal("window-missed", attestation.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, attestation.GetProperty("tx_hash").ValueKind);
        await (await s.AttestAsync()).AssertErrorAsync(409, "attestation window missed");
        Assert.Equal(before, await s.OracleNonceAsync());
        Assert.Equal(BookingStatus.Booked, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.Status);
    }

    [Fact]
    public async Task The_sweep_tracks_bookings_from_the_logs_and_reports()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: new Dictionary<string, string?> { ["WATCH_INTERVAL_SECONDS"] = "3600" });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/attest-sweep");
        request.Headers.Add("X-Service-Token", "test-service-token-0123456789abcdef");
        var response = await s.Client.SendAsync(request);
        var summary = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, summary.ToString());
        // The background watcher read the chain at startup, before the booking existed: the sweep finds it.
        Assert.Equal(1, summary.GetProperty("watch").GetProperty("booked").GetInt32());
        Assert.Equal(1, summary.GetProperty("tracking").GetInt32());
    }
}
