using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Sessions;

/// <summary>
/// The two real clients, each sending exactly its own requests and headers and reading exactly the
/// fields it reads, with the JSON types it expects: the browser (fetch, so a CORS preflight before
/// every call) and the Android app (OkHttp + org.json, which reads <c>user_uid</c> as a signed int).
/// The host is anvil #2, whose address ends in 0xFA4293BC (above 2^31): the case the uid mask is for.
/// </summary>
public class ClientFlowTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    private const string WebOrigin = "https://app.heaven.example";
    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);

    /// <summary>
    /// What a browser's fetch does for a JSON call from another origin: a preflight naming the method
    /// and the non-simple headers, then the call itself with the Origin header; the page can read the
    /// answer only if both carry the expected Access-Control-Allow-Origin.
    /// </summary>
    private sealed class Browser(HttpClient http, string origin, string expectedAllowOrigin)
    {
        public async Task<HttpResponseMessage> FetchAsync(HttpMethod method, string path, string? jsonBody, string? bearer, bool contentTypeWithoutBody = false)
        {
            var sendsContentType = jsonBody is not null || contentTypeWithoutBody;
            var requested = string.Join(',', new[] { bearer is null ? null : "authorization", sendsContentType ? "content-type" : null }.OfType<string>());
            using (var preflight = new HttpRequestMessage(HttpMethod.Options, path))
            {
                preflight.Headers.Add("Origin", origin);
                preflight.Headers.Add("Access-Control-Request-Method", method.Method);
                if (requested.Length > 0)
                {
                    preflight.Headers.Add("Access-Control-Request-Headers", requested);
                }
                using var answer = await http.SendAsync(preflight);
                Assert.True(answer.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK, $"preflight {path}: {(int)answer.StatusCode}");
                AssertAllowed(answer, path);
                Assert.Contains(method.Method, answer.Headers.GetValues("Access-Control-Allow-Methods").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)));
                if (requested.Length > 0)
                {
                    var allowedHeaders = answer.Headers.GetValues("Access-Control-Allow-Headers").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).ToArray();
                    Assert.All(requested.Split(','), h => Assert.Contains(h, allowedHeaders, StringComparer.OrdinalIgnoreCase));
                }
            }
            var request = new HttpRequestMessage(method, path);
            request.Headers.Add("Origin", origin);
            request.Headers.Accept.ParseAdd("*/*");
            if (bearer is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }
            if (sendsContentType)
            {
                // fetch with `headers: { 'Content-Type': 'application/json' }`, and no body at all for leave.
                request.Content = new ByteArrayContent(jsonBody is null ? [] : Encoding.UTF8.GetBytes(jsonBody));
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            var response = await http.SendAsync(request);
            AssertAllowed(response, path);
            return response;
        }

        private void AssertAllowed(HttpResponseMessage response, string path)
        {
            Assert.True(response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values), $"no Access-Control-Allow-Origin on {path}");
            Assert.Equal(expectedAllowOrigin, Assert.Single(values));
            Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"), $"credentials allowed on {path}");
        }
    }

    /// <summary>OkHttp 4 with org.json bodies: no Origin, its own User-Agent, gzip offered, charset in the media type.</summary>
    private static async Task<HttpResponseMessage> OkHttpPostAsync(HttpClient http, string path, string jsonBody, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.UserAgent.ParseAdd("okhttp/4.12.0");
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        request.Headers.Connection.Add("Keep-Alive");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(jsonBody));
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        var response = await http.SendAsync(request);
        Assert.False(response.Content.Headers.ContentEncoding.Count > 0, "a compressed answer org.json could not read as is");
        return response;
    }

    private static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Str(JsonElement json, string name)
    {
        var value = json.GetProperty(name);
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        return value.GetString()!;
    }

    private async Task<TestBooking> StartedBookingAsync() => await fx.Chain.CreateBookingAsync(await fx.Chain.NowAsync() - 60);

    /// <summary>The web client's whole flow for one party; returns the uid it was given.</summary>
    private static async Task<long> WebFlowAsync(Browser browser, PrivateKeySigner wallet, TestBooking booking)
    {
        var lower = wallet.Address.ToString();
        Assert.Equal(lower.ToLowerInvariant(), lower);
        var nonce = Str(await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/auth/nonce", JsonSerializer.Serialize(new { wallet = lower }), null)), "nonce");
        var signature = PersonalMessage.Sign(nonce, wallet).ToHex();
        var jwt = Str(await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/auth/verify", JsonSerializer.Serialize(new { wallet = lower, signature, nonce }), null)), "token");

        // `JSON.stringify({ booking_id: String(id) })`
        var join = await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/session/join", $"{{\"booking_id\":\"{booking.Id}\"}}", jwt));
        Assert.Equal($"heaven-6343-{booking.Id}", Str(join, "channel"));
        Assert.StartsWith("007", Str(join, "agora_token"), StringComparison.Ordinal);
        var uid = join.GetProperty("user_uid");
        Assert.Equal(JsonValueKind.Number, uid.ValueKind);

        var leave = await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, $"/session/{booking.Id}/leave", null, jwt, contentTypeWithoutBody: true));
        Assert.Equal(JsonValueKind.True, leave.GetProperty("ok").ValueKind);
        Assert.Equal(JsonValueKind.Number, leave.GetProperty("duration_ms").ValueKind);
        Assert.True(leave.GetProperty("duration_ms").GetInt64() >= 0);
        return uid.GetInt64();
    }

    [Fact]
    public async Task Web_client_signs_in_joins_and_leaves_from_another_origin_with_a_preflight_before_each_call()
    {
        var booking = await StartedBookingAsync();
        var browser = new Browser(fx.Client, WebOrigin, "*");
        var (hostUid, guestUid) = AgoraUid.ForParticipants(booking.Host, booking.Guest);

        Assert.Equal(hostUid, await WebFlowAsync(browser, Host, booking));
        Assert.Equal(guestUid, await WebFlowAsync(browser, Guest, booking));
    }

    [Fact]
    public async Task Android_client_gets_a_positive_signed_int_uid_with_okhttp_requests()
    {
        var booking = await StartedBookingAsync();
        var uids = new List<int>();
        foreach (var wallet in new[] { Host, Guest })
        {
            // org.json: `JSONObject().put("wallet", address).toString()`, the address as the wallet SDK gives it (EIP-55).
            var address = wallet.Address.ToChecksumString();
            var nonce = Str(await OkJsonAsync(await OkHttpPostAsync(fx.Client, "/auth/nonce", $"{{\"wallet\":\"{address}\"}}", null)), "nonce");
            var signature = PersonalMessage.Sign(nonce, wallet).ToHex();
            var jwt = Str(await OkJsonAsync(await OkHttpPostAsync(fx.Client, "/auth/verify",
                $"{{\"wallet\":\"{address}\",\"signature\":\"{signature}\",\"nonce\":\"{nonce}\"}}", null)), "token");

            var join = await OkJsonAsync(await OkHttpPostAsync(fx.Client, "/session/join", $"{{\"booking_id\":\"{booking.Id}\"}}", jwt));
            Assert.Equal($"heaven-6343-{booking.Id}", Str(join, "channel"));
            Assert.StartsWith("007", Str(join, "agora_token"), StringComparison.Ordinal);
            // `json.getInt("user_uid")`, and the app refuses uid <= 0: the number must fit an int as it is.
            var uidElement = join.GetProperty("user_uid");
            Assert.Equal(JsonValueKind.Number, uidElement.ValueKind);
            Assert.True(uidElement.TryGetInt32(out var uid), $"user_uid {uidElement} does not fit a signed int");
            Assert.True(uid > 0, $"user_uid {uid}");
            uids.Add(uid);

            var leave = await OkJsonAsync(await OkHttpPostAsync(fx.Client, $"/session/{booking.Id}/leave", "{}", jwt));
            Assert.True(leave.GetProperty("ok").GetBoolean());
            Assert.Equal(JsonValueKind.Number, leave.GetProperty("duration_ms").ValueKind);
        }
        var (hostUid, guestUid) = AgoraUid.ForParticipants(booking.Host, booking.Guest);
        Assert.True(Host.Address.LastFourBytes > int.MaxValue, "the host was meant to be a wallet ending above 2^31");
        Assert.Equal([(int)hostUid, (int)guestUid], uids);
        Assert.NotEqual(uids[0], uids[1]);
    }

    [Fact]
    public async Task Any_origin_may_preflight_and_call_every_browser_endpoint_without_credentials()
    {
        var booking = await StartedBookingAsync();
        var browser = new Browser(fx.Client, "http://localhost:5173", "*");
        var jwt = await fx.Client.SignInAsync(Host);
        var id = booking.Id.ToString();

        await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/auth/nonce", JsonSerializer.Serialize(new { wallet = Guest.Address.ToString() }), null));
        // A refused call carries the header too, so the page can read the error.
        (await browser.FetchAsync(HttpMethod.Post, "/auth/verify", "{\"wallet\":\"0x00\",\"signature\":\"0x\",\"nonce\":\"x\"}", null)).EnsureNotSuccess();
        (await browser.FetchAsync(HttpMethod.Post, "/session/join", $"{{\"booking_id\":\"{id}\"}}", "not-a-jwt")).EnsureStatus(401);
        await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/session/join", $"{{\"booking_id\":\"{id}\"}}", jwt));
        await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, $"/session/{id}/token", null, jwt, contentTypeWithoutBody: true));
        await OkJsonAsync(await browser.FetchAsync(HttpMethod.Get, $"/session/{id}/stats", null, jwt));
        await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, $"/session/{id}/leave", null, jwt, contentTypeWithoutBody: true));
    }

    [Fact]
    public async Task With_cors_origins_set_the_web_client_still_works_from_its_origin_and_a_foreign_origin_is_refused()
    {
        var settings = ApiHost.MockSettings(Host.Address, Guest.Address);
        settings["CORS_ORIGINS"] = $"{WebOrigin}, https://admin.heaven.example";
        await using var host = new ApiHost(settings);
        using var client = host.Client();

        var browser = new Browser(client, WebOrigin, WebOrigin);
        var lower = Guest.Address.ToString();
        var nonce = Str(await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/auth/nonce", JsonSerializer.Serialize(new { wallet = lower }), null)), "nonce");
        var jwt = Str(await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/auth/verify",
            JsonSerializer.Serialize(new { wallet = lower, signature = PersonalMessage.Sign(nonce, Guest).ToHex(), nonce }), null)), "token");
        await OkJsonAsync(await browser.FetchAsync(HttpMethod.Post, "/session/join", "{\"booking_id\":\"1\"}", jwt));

        foreach (var foreign in new[] { "https://evil.example", "https://app.heaven.example.evil.example", "http://app.heaven.example" })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/session/join");
            preflight.Headers.Add("Origin", foreign);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
            using var refused = await client.SendAsync(preflight);
            Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"), foreign);

            using var call = new HttpRequestMessage(HttpMethod.Post, "/session/join");
            call.Headers.Add("Origin", foreign);
            call.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
            call.Content = new StringContent("{\"booking_id\":\"1\"}", Encoding.UTF8, "application/json");
            using var answered = await client.SendAsync(call);
            Assert.False(answered.Headers.Contains("Access-Control-Allow-Origin"), foreign);
        }
    }
}

internal static class BrowserResponseExtensions
{
    public static void EnsureNotSuccess(this HttpResponseMessage response) =>
        Assert.False(response.IsSuccessStatusCode, $"expected a refusal, got {(int)response.StatusCode}");

    public static void EnsureStatus(this HttpResponseMessage response, int status) =>
        Assert.Equal(status, (int)response.StatusCode);
}
