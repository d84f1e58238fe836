using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Text.Json;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Agora;

public class WebhookApiTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static Dictionary<string, string?> WithSecret() => new() { ["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret };

    private static async Task<JsonElement> AckAsync(HttpResponseMessage response)
    {
        var json = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        Assert.True(json.GetProperty("ok").GetBoolean());
        return json;
    }

    [Fact]
    public async Task Signed_events_are_stored_once_and_resends_are_acknowledged()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: WithSecret());
        var (hostUid, _) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        var channel = $"heaven-6343-{s.Booking.Id}";
        var now = s.Time.GetUtcNow().ToUnixTimeSeconds();
        var body = Webhooks.Body(103, channel, hostUid, now, clientSeq: 10, noticeId: "n-1");
        Assert.True((await AckAsync(await Webhooks.PostAsync(s.Client, body))).GetProperty("stored").GetBoolean());
        // The very same notice again, and the same event under a new noticeId (Agora resends both ways).
        Assert.False((await AckAsync(await Webhooks.PostAsync(s.Client, body))).GetProperty("stored").GetBoolean());
        Assert.False((await AckAsync(await Webhooks.PostAsync(s.Client, Webhooks.Body(103, channel, hostUid, now, clientSeq: 10, noticeId: "n-2")))).GetProperty("stored").GetBoolean());

        var stats = await s.StatsAsync();
        Assert.Equal("observed", stats.GetProperty("presenceSource").GetString());
        Assert.Single(stats.GetProperty("hostIntervals").EnumerateArray());
        Assert.Equal(now * 1000, stats.GetProperty("hostJoinedAt").GetInt64());
    }

    [Fact]
    public async Task Forged_unsigned_and_reserialised_bodies_are_refused_and_nothing_is_stored()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: WithSecret());
        var (hostUid, _) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        var body = Webhooks.Body(103, $"heaven-6343-{s.Booking.Id}", hostUid, s.Time.GetUtcNow().ToUnixTimeSeconds());
        await (await Webhooks.PostAsync(s.Client, body, signature: null)).AssertErrorAsync(401, "invalid signature");
        await (await Webhooks.PostAsync(s.Client, body, signature: Webhooks.Sign(body, "another-secret"))).AssertErrorAsync(401, "invalid signature");
        await (await Webhooks.PostAsync(s.Client, body, signature: "zz")).AssertErrorAsync(401, "invalid signature");
        var reserialised = JsonSerializer.Serialize(JsonDocument.Parse(body).RootElement, Indented);
        await (await Webhooks.PostAsync(s.Client, reserialised, signature: Webhooks.Sign(body))).AssertErrorAsync(401, "invalid signature");
        Assert.Empty((await s.StatsAsync()).GetProperty("hostIntervals").EnumerateArray());
        // The genuine one still goes through afterwards.
        Assert.True((await AckAsync(await Webhooks.PostAsync(s.Client, body))).GetProperty("stored").GetBoolean());
    }

    [Fact]
    public async Task Malformed_notices_are_400_and_foreign_channels_are_acknowledged_without_storing()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: WithSecret());
        foreach (var malformed in new[] { "{\"noticeId\":", "[]", "{\"noticeId\":\"x\",\"productId\":1,\"eventType\":103,\"notifyMs\":1,\"payload\":{\"uid\":\"12\"}}" })
        {
            var response = await Webhooks.PostAsync(s.Client, malformed);
            Assert.Equal(400, (int)response.StatusCode);
            Assert.False(string.IsNullOrEmpty((await response.JsonAsync()).GetProperty("error").GetString()));
        }
        var now = s.Time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var channel in new[] { "test_webhook", "heaven-1-1", "heaven-6343-01", "somebody-else", $"heaven-6343-{s.Booking.Id}x" })
        {
            Assert.False((await AckAsync(await Webhooks.PostAsync(s.Client, Webhooks.Body(103, channel, 12121212, now)))).GetProperty("stored").GetBoolean());
        }
        // Channel create/destroy carry no presence.
        Assert.False((await AckAsync(await Webhooks.PostAsync(s.Client, Webhooks.Body(101, $"heaven-6343-{s.Booking.Id}", 0, now)))).GetProperty("stored").GetBoolean());
    }

    [Fact]
    public async Task Without_a_secret_the_endpoint_is_off()
    {
        await using var s = await SettlementScenario.StartAsync();
        await (await Webhooks.PostAsync(s.Client, Webhooks.Body(103, "heaven-6343-1", 1, 1))).AssertErrorAsync(503, "webhooks not configured");
    }

    [Fact]
    public async Task The_answer_does_not_wait_on_the_chain_for_a_booking_already_looked_up()
    {
        var s = await SettlementScenario.StartAsync(extraSettings: WithSecret());
        var (hostUid, _) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        Assert.NotNull(await s.Api.Services.GetRequiredService<IBookingDirectory>().Requests.GetAsync(s.Booking.Id, default));
        await s.Chain.Anvil.DisposeAsync();
        var watch = Stopwatch.StartNew();
        var response = await Webhooks.PostAsync(s.Client, Webhooks.Body(103, $"heaven-6343-{s.Booking.Id}", hostUid, s.Time.GetUtcNow().ToUnixTimeSeconds()));
        Assert.True((await AckAsync(response)).GetProperty("stored").GetBoolean());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        s.Client.Dispose();
        await s.Api.DisposeAsync();
    }

    [Fact]
    public async Task A_guest_who_only_calls_join_but_never_appears_in_agora_is_a_no_show()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: WithSecret());
        var (hostUid, _) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        // The host never calls this API: Agora reports them. The guest calls join (a claim) but never connects.
        await s.JoinAsync(s.GuestToken);
        await AckAsync(await Webhooks.PostAsync(s.Client, Webhooks.Body(103, $"heaven-6343-{s.Booking.Id}", hostUid, s.Time.GetUtcNow().ToUnixTimeSeconds())));
        await s.PlayUntilAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowGuest);
        var stats = await s.StatsAsync();
        Assert.Single(stats.GetProperty("claims").GetProperty("guestIntervals").EnumerateArray());
        Assert.Equal("1", stats.GetProperty("metrics").GetProperty("fields").GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_host_known_only_from_webhooks_completes_a_session_even_with_shuffled_duplicated_delivery()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: WithSecret());
        var (hostUid, guestUid) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        var channel = $"heaven-6343-{s.Booking.Id}";
        var t0 = s.Time.GetUtcNow().ToUnixTimeSeconds();
        // Guest: join, a reconnect (leave reason 10 + rejoin in the same second), delivered out of order and twice.
        var events = new List<string>
        {
            Webhooks.Body(107, channel, guestUid, t0 + 60, clientSeq: 3),
            Webhooks.Body(103, channel, hostUid, t0, clientSeq: 1),
            Webhooks.Body(108, channel, guestUid, t0 + 60, clientSeq: 2, reason: 10),
            Webhooks.Body(107, channel, guestUid, t0, clientSeq: 1),
        };
        foreach (var body in events.Concat(events))
        {
            await AckAsync(await Webhooks.PostAsync(s.Client, body));
        }
        await s.AdvanceToAsync(s.Start + 4 * 60);
        await s.AssertAttestedAsync(Outcome.Completed);
        var stats = await s.StatsAsync();
        Assert.Equal(2, stats.GetProperty("guestIntervals").GetArrayLength());
        Assert.Empty(stats.GetProperty("claims").GetProperty("hostIntervals").EnumerateArray());
    }
}
