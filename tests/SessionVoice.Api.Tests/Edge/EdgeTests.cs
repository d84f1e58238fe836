using System.Net;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Edge;

/// <summary>Hostile and odd requests: always a clear 4xx with { "error" }, never a 5xx, and the service keeps serving.</summary>
public class EdgeTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    [Fact]
    public async Task Health_answers_the_same_before_routing_and_through_the_endpoint_with_cors()
    {
        // Without Origin: the shortcut before routing; with it: the endpoint, with the CORS headers.
        using var plain = await fx.Client.GetAsync("/health");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("Origin", "https://app.example");
        using var browser = await fx.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, browser.StatusCode);
        Assert.Equal("application/json; charset=utf-8", plain.Content.Headers.ContentType?.ToString());
        Assert.Equal(browser.Content.Headers.ContentType?.ToString(), plain.Content.Headers.ContentType?.ToString());
        var body = await plain.Content.ReadAsStringAsync();
        Assert.Equal(await browser.Content.ReadAsStringAsync(), body);
        Assert.Equal(body.Length, plain.Content.Headers.ContentLength);
        Assert.Equal("*", string.Join(",", browser.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(plain.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(body, await (await fx.Client.GetAsync("/health")).Content.ReadAsStringAsync());
        // Only GET takes the shortcut; the rest is routing's answer as before.
        using var post = await fx.Client.PostAsync("/health", new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.True((await post.JsonAsync()).TryGetProperty("error", out _));
    }

    [Fact]
    public async Task Health_reports_the_chain_escrow_and_oracle()
    {
        var health = await (await fx.Client.GetAsync("/health")).JsonAsync();
        Assert.True(health.GetProperty("ok").GetBoolean());
        Assert.Equal(6343UL, health.GetProperty("chainId").GetUInt64());
        Assert.Equal(fx.Chain.EscrowAddress.ToChecksumString(), health.GetProperty("escrow").GetString());
        Assert.True(health.GetProperty("oracleConfigured").GetBoolean());
        Assert.Equal("standalone", health.GetProperty("mode").GetString());
        var text = health.ToString();
        Assert.DoesNotContain(AnvilAccounts.Keys[AnvilAccounts.Oracle][2..], text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("5CFd2fd1755d40ecb72977518be15d3b", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ready_answers_when_rpc_and_store_work()
    {
        var response = await fx.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("/auth/nonce", "wallet")]
    [InlineData("/auth", "wallet")]
    [InlineData("/auth/verify", "wallet")]
    [InlineData("/session/join", "booking_id")]
    public async Task A_string_that_is_not_text_is_a_400_not_a_500(string path, string field)
    {
        var token = path == "/session/join" ? await fx.Client.SignInAsync(AnvilAccounts.Signer(AnvilAccounts.Host)) : null;
        // A lone surrogate: valid JSON, but no UTF-16 string can hold it.
        var surrogate = await fx.Client.PostRawAsync(path, "{\"" + field + "\":\"\\ud800\"}", token);
        await surrogate.AssertErrorAsync(400, $"{field} must be valid text");

        // Raw bytes that are not UTF-8 inside the string.
        using var raw = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent([.. "{\""u8, .. System.Text.Encoding.ASCII.GetBytes(field), .. "\":\"a"u8, 0xFF, 0xFE, .. "\"}"u8]),
        };
        raw.Content.Headers.ContentType = new("application/json");
        if (token is not null)
        {
            raw.Headers.Authorization = new("Bearer", token);
        }
        var response = await fx.Client.SendAsync(raw);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).TryGetProperty("error", out _));
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.GetAsync("/health")).StatusCode);
    }

    /// <summary>One limit for every body, declared or chunked: 64 KiB is read and answered on its merits, a byte more is 413.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_of_exactly_the_limit_is_read_and_one_byte_more_is_413(bool chunked)
    {
        async Task<HttpResponseMessage> SendAsync(int bytes)
        {
            var body = "{\"wallet\":\"" + new string('a', bytes - 13) + "\"}";
            Assert.Equal(bytes, body.Length);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/nonce") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.TransferEncodingChunked = chunked;
            return await fx.Client.SendAsync(request);
        }
        await (await SendAsync(Infrastructure.RequestBodies.MaxBytes)).AssertErrorAsync(400, "wallet must be a 0x-prefixed 20-byte address");
        await AssertTooLargeAsync(() => SendAsync(Infrastructure.RequestBodies.MaxBytes + 1));
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task A_one_megabyte_body_is_refused_early_and_the_service_stays_up()
    {
        var big = "{\"wallet\":\"" + new string('a', 1024 * 1024) + "\"}";
        await AssertTooLargeAsync(() => fx.Client.PostRawAsync("/auth", big));
        Assert.Equal(HttpStatusCode.OK, (await fx.Client.GetAsync("/health")).StatusCode);
    }

    /// <summary>
    /// The server answers 413 without reading the body and closes the connection; a client still
    /// uploading may see the close before the answer. Either way: no 5xx, nothing read.
    /// </summary>
    internal static async Task AssertTooLargeAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            await (await send()).AssertErrorAsync(413, "request body too large");
        }
        catch (HttpRequestException)
        {
            // Connection closed by the server before the upload finished.
        }
    }

    [Fact]
    public async Task A_declared_large_body_gets_413_before_upload_with_expect_continue()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth") { Content = new StringContent(new string('x', 200_000)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.ExpectContinue = true;
        var response = await fx.Client.SendAsync(request);
        await response.AssertErrorAsync(413, "request body too large");
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        await (await fx.Client.PostRawAsync("/auth/nonce", "wallet=0x1", contentType: "application/x-www-form-urlencoded")).AssertErrorAsync(415, "content type must be application/json");
        await (await fx.Client.PostRawAsync("/auth/nonce", "{}", contentType: "text/plain")).AssertErrorAsync(415, "content type must be application/json");
    }

    [Fact]
    public async Task Unknown_routes_and_wrong_methods_answer_json()
    {
        await (await fx.Client.GetAsync("/nope")).AssertErrorAsync(404, "not found");
        await (await fx.Client.GetAsync("/auth")).AssertErrorAsync(405, "method not allowed");
    }

    [Fact]
    public async Task Deeply_nested_json_is_400()
    {
        var deep = "{\"wallet\":" + new string('[', 100) + new string(']', 100) + "}";
        await (await fx.Client.PostRawAsync("/auth/nonce", deep)).AssertErrorAsync(400, "malformed JSON");
    }

    [Fact]
    public async Task OpenApi_document_lists_the_endpoints()
    {
        var doc = await (await fx.Client.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        foreach (var path in new[] { "/auth", "/auth/nonce", "/auth/verify", "/session/join", "/session/{id}/leave", "/session/{id}/token", "/session/{id}/stats", "/health" })
        {
            Assert.Contains($"\"{path}\"", doc, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Secrets_never_appear_in_error_bodies()
    {
        var response = await fx.Client.PostRawAsync("/auth", "{\"wallet\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"message\":\"x\",\"signature\":\"0x00\"}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("test-jwt-secret", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(Address.Zero.ToString());
    }
}
