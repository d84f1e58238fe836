using System.Text;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Api.Tests.Edge;

namespace SessionVoice.Api.Tests.Sessions;

public class SessionApiTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
    private static readonly PrivateKeySigner Stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);

    private async Task<TestBooking> BookingAsync(long startOffsetSeconds, uint durationMins = 30)
    {
        var now = await fx.Chain.NowAsync();
        return await fx.Chain.CreateBookingAsync(now + startOffsetSeconds, durationMins: durationMins);
    }

    private Task<HttpResponseMessage> JoinAsync(string token, object bookingId) =>
        fx.Client.PostJsonAsync("/session/join", new Dictionary<string, object> { ["booking_id"] = bookingId }, token);

    [Fact]
    public async Task Host_and_guest_join_the_bookings_channel_with_distinct_uids()
    {
        var booking = await BookingAsync(-60);
        var hostJoin = await JoinAsync(await fx.Client.SignInAsync(Host), booking.Id.ToString());
        var guestJoin = await JoinAsync(await fx.Client.SignInAsync(Guest), booking.Id.ToString());
        var host = await hostJoin.JsonAsync();
        var guest = await guestJoin.JsonAsync();
        Assert.True(hostJoin.IsSuccessStatusCode, host.ToString());
        Assert.Equal($"heaven-6343-{booking.Id}", host.GetProperty("channel").GetString());
        Assert.Equal(host.GetProperty("channel").GetString(), guest.GetProperty("channel").GetString());
        var (hostUid, guestUid) = AgoraUid.ForParticipants(Host.Address, Guest.Address);
        Assert.Equal(hostUid, host.GetProperty("user_uid").GetUInt32());
        Assert.Equal(guestUid, guest.GetProperty("user_uid").GetUInt32());
        Assert.NotEqual(hostUid, guestUid);
        Assert.StartsWith("007", host.GetProperty("agora_token").GetString(), StringComparison.Ordinal);
        Assert.Equal("host", host.GetProperty("role").GetString());
        Assert.Equal("guest", guest.GetProperty("role").GetString());
        // Valid until the session end + 10 minutes.
        Assert.Equal(booking.StartTime + 30 * 60 + 600, host.GetProperty("expires_at").GetInt64(), 5.0);
    }

    [Fact]
    public async Task A_leading_zero_names_the_same_channel()
    {
        var booking = await BookingAsync(-60);
        var token = await fx.Client.SignInAsync(Host);
        var plain = await (await JoinAsync(token, booking.Id.ToString())).JsonAsync();
        var padded = await (await JoinAsync(token, "000" + booking.Id)).JsonAsync();
        Assert.Equal(plain.GetProperty("channel").GetString(), padded.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task Someone_else_is_refused_with_403()
    {
        var booking = await BookingAsync(-60);
        await (await JoinAsync(await fx.Client.SignInAsync(Stranger), booking.Id.ToString())).AssertErrorAsync(403, "not a participant");
    }

    [Fact]
    public async Task Unknown_booking_is_404()
    {
        await (await JoinAsync(await fx.Client.SignInAsync(Guest), "987654321")).AssertErrorAsync(404, "booking not found");
    }

    [Fact]
    public async Task Cancelled_booking_is_not_active()
    {
        var booking = await BookingAsync(600);
        await fx.Chain.CancelAsync(booking.Id, booking.Guest);
        await (await JoinAsync(await fx.Client.SignInAsync(Guest), booking.Id.ToString())).AssertErrorAsync(400, "booking not active");
    }

    [Fact]
    public async Task Join_more_than_five_minutes_early_is_refused_and_inside_five_minutes_allowed()
    {
        var early = await BookingAsync(3600);
        var token = await fx.Client.SignInAsync(Guest);
        await (await JoinAsync(token, early.Id.ToString())).AssertErrorAsync(400, "too early to join");
        var soon = await BookingAsync(200);
        Assert.True((await JoinAsync(token, soon.Id.ToString())).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Join_after_the_end_is_refused()
    {
        var ended = await BookingAsync(-3600, durationMins: 30);
        await (await JoinAsync(await fx.Client.SignInAsync(Guest), ended.Id.ToString())).AssertErrorAsync(400, "session has ended");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    [InlineData(" 1")]
    [InlineData("")]
    [InlineData("115792089237316195423570985008687907853269984665640564039457584007913129639936")]
    public async Task Malformed_booking_ids_are_400(string id)
    {
        await (await JoinAsync(await fx.Client.SignInAsync(Guest), id)).AssertErrorAsync(400, "booking_id must be a decimal uint256");
    }

    [Fact]
    public async Task A_100000_digit_id_and_a_number_are_400()
    {
        var token = await fx.Client.SignInAsync(Guest);
        await EdgeTests.AssertTooLargeAsync(() => JoinAsync(token, new string('9', 100_000)));
        Assert.True((await fx.Client.GetAsync("/health")).IsSuccessStatusCode);
        await (await JoinAsync(token, new string('9', 5_000))).AssertErrorAsync(400, "booking_id must be a decimal uint256");
        await (await JoinAsync(token, 7)).AssertErrorAsync(400, "booking_id must be a string");
        await (await fx.Client.PostRawAsync("/session/join", "{}", token)).AssertErrorAsync(400, "booking_id is required");
    }

    [Fact]
    public async Task A_uint256_id_too_long_for_a_channel_is_404_when_it_does_not_exist()
    {
        await (await JoinAsync(await fx.Client.SignInAsync(Guest), SessionVoice.Core.Ethereum.Abi.MaxUInt256.ToString())).AssertErrorAsync(404, "booking not found");
    }

    [Fact]
    public async Task Renewal_gives_a_fresh_token_for_the_same_channel_and_uid()
    {
        var booking = await BookingAsync(-60);
        var token = await fx.Client.SignInAsync(Guest);
        var joined = await (await JoinAsync(token, booking.Id.ToString())).JsonAsync();
        var renewedResponse = await fx.Client.PostRawAsync($"/session/{booking.Id}/token", "", token);
        var renewed = await renewedResponse.JsonAsync();
        Assert.True(renewedResponse.IsSuccessStatusCode, renewed.ToString());
        Assert.Equal(joined.GetProperty("channel").GetString(), renewed.GetProperty("channel").GetString());
        Assert.Equal(joined.GetProperty("user_uid").GetUInt32(), renewed.GetProperty("user_uid").GetUInt32());
        Assert.True(renewed.GetProperty("expires_at").GetInt64() > 0);
        await (await fx.Client.PostRawAsync($"/session/{booking.Id}/token", "", await fx.Client.SignInAsync(Stranger))).AssertErrorAsync(403, "not a participant");
        await (await fx.Client.PostRawAsync("/session/abc/token", "", token)).AssertErrorAsync(400, "booking id must be a decimal uint256");
    }

    [Fact]
    public async Task Leave_reports_the_visit_and_stats_show_both_parties()
    {
        var booking = await BookingAsync(-120);
        var hostToken = await fx.Client.SignInAsync(Host);
        var guestToken = await fx.Client.SignInAsync(Guest);
        Assert.True((await JoinAsync(hostToken, booking.Id.ToString())).IsSuccessStatusCode);
        Assert.True((await JoinAsync(guestToken, booking.Id.ToString())).IsSuccessStatusCode);
        fx.Time.AdvanceMs(1_100);

        var leaveResponse = await fx.Client.PostRawAsync($"/session/{booking.Id}/leave", "", guestToken);
        var leave = await leaveResponse.JsonAsync();
        Assert.True(leave.GetProperty("ok").GetBoolean());
        Assert.InRange(leave.GetProperty("duration_ms").GetInt64(), 1000, 60_000);

        var stats = await (await fx.Client.GetAsync($"/session/{booking.Id}/stats", hostToken)).JsonAsync();
        Assert.True(stats.GetProperty("hostJoinedAt").GetInt64() > 0);
        Assert.Equal(JsonValueKindNull, stats.GetProperty("hostLeftAt").ValueKind);
        Assert.True(stats.GetProperty("guestLeftAt").GetInt64() >= stats.GetProperty("guestJoinedAt").GetInt64() + 1000);
        Assert.InRange(stats.GetProperty("overlapSeconds").GetInt64(), 1, 60);
        Assert.Single(stats.GetProperty("guestIntervals").EnumerateArray());
        Assert.Equal("claimed", stats.GetProperty("presenceSource").GetString());

        // A second leave is recorded but the visit is already over.
        Assert.Equal(0, (await (await fx.Client.PostRawAsync($"/session/{booking.Id}/leave", "", guestToken)).JsonAsync()).GetProperty("duration_ms").GetInt64());
        await (await fx.Client.GetAsync($"/session/{booking.Id}/stats", await fx.Client.SignInAsync(Stranger))).AssertErrorAsync(403, "not a participant");
        await (await fx.Client.PostRawAsync($"/session/{booking.Id}/leave", "", await fx.Client.SignInAsync(Stranger))).AssertErrorAsync(403, "not a participant");
        await (await fx.Client.GetAsync("/session/424242424/stats", hostToken)).AssertErrorAsync(404, "booking not found");
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task Session_endpoints_need_a_valid_jwt()
    {
        var booking = await BookingAsync(-60);
        await (await fx.Client.PostJsonAsync("/session/join", new { booking_id = booking.Id.ToString() })).AssertErrorAsync(401, "unauthorized");
        var token = await fx.Client.SignInAsync(Guest);
        var parts = token.Split('.');

        // alg:none with the same claims.
        var noneHeader = Base64Url("""{"alg":"none","typ":"JWT"}""");
        await (await JoinAsync($"{noneHeader}.{parts[1]}.", booking.Id.ToString())).AssertErrorAsync(401, "unauthorized");

        // Tampered payload: the guest's token turned into the host's.
        var payload = Encoding.UTF8.GetString(FromBase64Url(parts[1])).Replace(Guest.Address.ToString(), Host.Address.ToString(), StringComparison.Ordinal);
        await (await JoinAsync($"{parts[0]}.{Base64Url(payload)}.{parts[2]}", booking.Id.ToString())).AssertErrorAsync(401, "unauthorized");

        // Garbage and a token from another secret.
        await (await JoinAsync("not-a-jwt", booking.Id.ToString())).AssertErrorAsync(401, "unauthorized");
        await (await fx.Client.GetAsync($"/session/{booking.Id}/stats", token[..^3] + "AAA")).AssertErrorAsync(401, "unauthorized");
    }

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
