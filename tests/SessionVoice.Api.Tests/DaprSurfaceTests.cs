using System.Net;
using System.Text;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests;

/// <summary>The app's sidecar-facing HTTP surface in Dapr mode, driven with the requests daprd sends.</summary>
public class DaprSurfaceTests
{
    private const string AppToken = "app-token-for-tests";

    private static async Task<(EscrowChain Chain, FakeSidecar Sidecar, ApiHost Api, HttpClient Client)> StartAsync()
    {
        var chain = await EscrowChain.StartAsync();
        var sidecar = await FakeSidecar.StartAsync();
        var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
        settings["SessionVoice:Runtime"] = "Dapr";
        settings["SessionVoice:SecretStore"] = "";
        settings["DAPR_HTTP_ENDPOINT"] = sidecar.Endpoint;
        settings["APP_API_TOKEN"] = AppToken;
        var api = new ApiHost(settings);
        var client = api.Client();
        sidecar.App = (client.BaseAddress!, AppToken);
        return (chain, sidecar, api, client);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        return request;
    }

    [Fact]
    public async Task Dapr_config_lists_both_actor_types_without_a_token()
    {
        var (chain, sidecar, api, client) = await StartAsync();
        await using (chain)
        await using (sidecar)
        await using (api)
        {
            var response = await client.SendAsync(Request(HttpMethod.Get, "/dapr/config", null));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var config = await response.JsonAsync();
            var entities = config.GetProperty("entities").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains("BookingActor", entities);
            Assert.Contains("OracleActor", entities);
            var health = await (await client.GetAsync("/health")).JsonAsync();
            Assert.Equal("dapr", health.GetProperty("mode").GetString());
        }
    }

    [Fact]
    public async Task A_reminder_call_from_daprd_decides_the_booking_and_reregisters_the_reminder()
    {
        var (chain, sidecar, api, client) = await StartAsync();
        await using (chain)
        await using (sidecar)
        await using (api)
        {
            var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 600);
            var path = $"/actors/BookingActor/{booking.Id}/method/remind/Decide";
            const string body = """{"dueTime":"0h0m0s0ms","period":"","data":""}""";

            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(HttpMethod.Put, path, null, body))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(HttpMethod.Put, path, "wrong", body))).StatusCode);
            Assert.DoesNotContain(sidecar.Calls, c => c.Contains("reminder", StringComparison.Ordinal));

            var response = await client.SendAsync(Request(HttpMethod.Put, path, AppToken, body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The decision was saved in actor state and the next one-shot reminder registered for G + settle.
            Assert.Contains(sidecar.Calls, c => c == $"upsert state BookingActor/{booking.Id}/DueAt");
            var reminder = Assert.Single(sidecar.Calls, c => c.StartsWith($"PUT reminder BookingActor/{booking.Id}/Decide", StringComparison.Ordinal));
            Assert.Contains("\"period\":\"\"", reminder, StringComparison.Ordinal);
            Assert.Equal((booking.StartTime + 5 * 60 + 30).ToString(System.Globalization.CultureInfo.InvariantCulture), sidecar.State[$"BookingActor||{booking.Id}||DueAt"]);
        }
    }

    [Fact]
    public async Task The_cron_binding_route_needs_the_app_token_and_answers_exactly_200()
    {
        var (chain, sidecar, api, client) = await StartAsync();
        await using (chain)
        await using (sidecar)
        await using (api)
        {
            await (await client.SendAsync(Request(HttpMethod.Post, "/attest-sweep", null))).AssertErrorAsync(401, "invalid service token");
            await (await client.SendAsync(Request(HttpMethod.Post, "/attest-sweep", "wrong"))).AssertErrorAsync(401, "invalid service token");
            var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 600);
            var ok = await client.SendAsync(Request(HttpMethod.Post, "/attest-sweep", AppToken));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            // The sweep handed the new booking to its actor, which scheduled its first decision, and
            // asked the oracle key's actor to resume anything persisted before a restart.
            Assert.Contains(sidecar.Calls, c => c.StartsWith($"PUT reminder BookingActor/{booking.Id}/Decide", StringComparison.Ordinal));
            Assert.Contains(sidecar.Calls, c => c == $"invoke OracleActor/{EscrowChain.Oracle}/ResumeAsync");
        }
    }
}
