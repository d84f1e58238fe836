using System.Net;
using System.Net.Sockets;
using SessionVoice.Api.Auth;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Auth;

/// <summary>Wrong service tokens are limited per client address; the right token from elsewhere is not.</summary>
public class ServiceTokenLimitTests
{
    private const string Token = "service-token-for-the-limit-tests-0123456789";

    private static Dictionary<string, string?> Settings()
    {
        var settings = ApiHost.MockSettings(AnvilAccounts.Signer(AnvilAccounts.Host).Address, AnvilAccounts.Signer(AnvilAccounts.Guest).Address);
        settings["SERVICE_TOKEN"] = Token;
        return settings;
    }

    private static Task<HttpResponseMessage> AttestAsync(HttpClient client, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/session/999/attest");
        if (token is not null)
        {
            request.Headers.Add(ServiceToken.Header, token);
        }
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> SweepAsync(HttpClient client, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/attest-sweep");
        request.Headers.Add(ServiceToken.Header, token);
        return client.SendAsync(request);
    }

    /// <summary>A client whose connections come from another loopback address (127.0.0.2): another client address for the service.</summary>
    private static HttpClient FromOtherAddress(ApiHost host)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var loopback = host.Client();
        return new HttpClient(new OpenApiValidatingHandler(OpenApiContract.Committed, handler)) { BaseAddress = loopback.BaseAddress };
    }

    [Fact]
    public async Task Wrong_tokens_are_401_until_the_limit_then_429_for_that_address_only_until_the_window_ends()
    {
        var time = new ShiftedTime();
        await using var host = new ApiHost(Settings(), time);
        using var client = host.Client();

        // The default budget: 10 wrong tokens (a missing one is wrong too) per address per minute.
        await (await AttestAsync(client, null)).AssertErrorAsync(401, "invalid service token");
        for (var i = 1; i < 10; i++)
        {
            await (await AttestAsync(client, $"wrong-{i}")).AssertErrorAsync(401, "invalid service token");
        }
        await (await AttestAsync(client, "wrong-11")).AssertErrorAsync(429, "too many requests");
        // Blocked means blocked: the token is not compared, so guessing learns nothing until the window ends.
        await (await AttestAsync(client, Token)).AssertErrorAsync(429, "too many requests");
        await (await SweepAsync(client, Token)).AssertErrorAsync(429, "too many requests");

        // Another address is a client of its own: the right token works, a wrong one counts for it alone.
        using var other = FromOtherAddress(host);
        Assert.Equal(HttpStatusCode.OK, (await SweepAsync(other, Token)).StatusCode);
        await (await AttestAsync(other, Token)).AssertErrorAsync(404, "booking not found");
        await (await AttestAsync(other, "wrong")).AssertErrorAsync(401, "invalid service token");

        // Sign-in and the public routes are not service-token routes.
        Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode);

        time.AdvanceMs((long)ServiceTokenFailures.Window.TotalMilliseconds - 1000);
        await (await AttestAsync(client, Token)).AssertErrorAsync(429, "too many requests");
        time.AdvanceMs(1000);
        await (await AttestAsync(client, Token)).AssertErrorAsync(404, "booking not found");
        Assert.Equal(HttpStatusCode.OK, (await SweepAsync(client, Token)).StatusCode);
        await (await AttestAsync(client, "wrong-again")).AssertErrorAsync(401, "invalid service token");
    }

    [Fact]
    public async Task The_right_token_never_counts_and_the_limit_follows_the_setting()
    {
        var settings = Settings();
        settings["SERVICE_TOKEN_FAILURES_PER_MINUTE"] = "2";
        await using var host = new ApiHost(settings);
        using var client = host.Client();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SweepAsync(client, Token)).StatusCode);
        }
        await (await AttestAsync(client, "wrong-1")).AssertErrorAsync(401, "invalid service token");
        await (await AttestAsync(client, "wrong-2")).AssertErrorAsync(401, "invalid service token");
        await (await AttestAsync(client, "wrong-3")).AssertErrorAsync(429, "too many requests");
    }
}
