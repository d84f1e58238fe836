using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Auth;

/// <summary>Session tokens: what the writer issues, how the header is read, and what the routes that need one answer.</summary>
public class SessionTokenTests
{
    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);

    private static Dictionary<string, string?> MockSettings() => ApiHost.MockSettings(Host.Address, Guest.Address);

    private static byte[] FromBase64Url(string text) => Base64UrlEncoder.DecodeBytes(text);

    [Fact]
    public async Task An_issued_token_has_the_claims_of_the_framework_writer_and_validates_without_the_cache()
    {
        var settings = ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(MockSettings()).Build());
        var time = new ShiftedTime();
        var jwt = new JwtTokens(settings, time);
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = jwt.Issue(Guest.Address);
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using var header = JsonDocument.Parse(FromBase64Url(parts[0]));
        Assert.Equal("HS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.RootElement.GetProperty("typ").GetString());
        Assert.Equal(2, header.RootElement.EnumerateObject().Count());
        // The signature is HMAC-SHA256 over "header.payload" with JWT_SECRET, computed here independently.
        Assert.Equal(HMACSHA256.HashData(settings.JwtSecret, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])), FromBase64Url(parts[2]));

        using var payload = JsonDocument.Parse(FromBase64Url(parts[1]));
        var claims = payload.RootElement;
        Assert.Equal(Guest.Address.ToString(), claims.GetProperty("sub").GetString());
        Assert.Equal(JwtTokens.Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal(JwtTokens.Audience, claims.GetProperty("aud").GetString());
        Assert.Matches("^[0-9a-f]{32}$", claims.GetProperty("jti").GetString()!);
        var iat = claims.GetProperty("iat").GetInt64();
        Assert.InRange(iat, before, after);
        Assert.Equal(iat, claims.GetProperty("nbf").GetInt64());
        Assert.Equal(iat + 3600, claims.GetProperty("exp").GetInt64());

        // The same claim names and JSON kinds as JsonWebTokenHandler writes for the same descriptor.
        var framework = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = Guest.Address.ToString(), ["jti"] = Guid.NewGuid().ToString("N") },
            Issuer = JwtTokens.Issuer,
            Audience = JwtTokens.Audience,
            IssuedAt = DateTime.UtcNow,
            NotBefore = DateTime.UtcNow,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(settings.JwtSecret), SecurityAlgorithms.HmacSha256),
        });
        using var frameworkPayload = JsonDocument.Parse(FromBase64Url(framework.Split('.')[1]));
        Assert.Equal(
            frameworkPayload.RootElement.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)).OrderBy(p => p.Name),
            claims.EnumerateObject().Select(p => (p.Name, p.Value.ValueKind)).OrderBy(p => p.Name));
        Assert.Equal(framework.Split('.')[0], parts[0]);

        var plain = await new JsonWebTokenHandler().ValidateTokenAsync(token, jwt.ValidationParameters());
        Assert.True(plain.IsValid, plain.Exception?.Message);
        Assert.Equal(Guest.Address, JwtTokens.WalletOf(new System.Security.Claims.ClaimsPrincipal(plain.ClaimsIdentity)));
        Assert.Equal(Guest.Address, JwtTokens.WalletOf((await jwt.AuthenticateAsync(token))!));
        // Every token is distinct (jti), even within the same second.
        Assert.NotEqual(token, jwt.Issue(Guest.Address));
    }

    [Theory]
    [InlineData("Bearer abc", "abc")]
    [InlineData("bearer abc", "abc")]
    [InlineData("BEARER   abc  ", "abc")]
    [InlineData("Bearer ", null)]
    [InlineData("Bearer", null)]
    [InlineData("Bearerabc", null)]
    [InlineData("Basic abc", null)]
    [InlineData("", null)]
    public void The_header_is_read_as_the_framework_bearer_handler_reads_it(string header, string? token)
    {
        Assert.Equal(token, SessionToken.BearerToken(new StringValues(header)));
    }

    [Fact]
    public void No_header_or_several_headers_give_no_token()
    {
        Assert.Null(SessionToken.BearerToken(StringValues.Empty));
        Assert.Null(SessionToken.BearerToken(new StringValues(["Bearer abc", "Bearer abc"])));
    }

    [Fact]
    public async Task Routes_that_need_a_token_refuse_without_one_and_only_those()
    {
        var settings = MockSettings();
        await using var host = new ApiHost(settings);
        using var client = host.Client();
        var token = await client.SignInAsync(Host);

        // A join with exactly these Authorization header values.
        async Task<HttpResponseMessage> JoinWith(params string[] authorization)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/session/join") { Content = new StringContent("""{"booking_id":"1"}""", Encoding.UTF8, "application/json") };
            if (authorization.Length > 0)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            return await client.SendAsync(request);
        }

        foreach (var authorization in new[] { Array.Empty<string>(), ["Basic " + token], ["Bearer"], [token], ["Bearer " + token + "x"],
            // Two headers, both with the valid token: refused, as the framework handler refuses them.
            ["Bearer " + token, "Bearer " + token] })
        {
            var refused = await JoinWith(authorization);
            await refused.AssertErrorAsync(401, "unauthorized");
            Assert.Equal("Bearer", string.Join(", ", refused.Headers.WwwAuthenticate));
        }

        // The scheme in another letter case, with extra spaces: accepted.
        var joined = await JoinWith("bearer   " + token);
        Assert.True(joined.IsSuccessStatusCode, await joined.Content.ReadAsStringAsync());
        Assert.Equal("host", (await joined.JsonAsync()).GetProperty("role").GetString());

        // Routes that need no token ignore a bad one.
        using var health = new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { { "Authorization", "Bearer forged" } } };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(health)).StatusCode);
        var nonce = await client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() }, "forged");
        Assert.True(nonce.IsSuccessStatusCode, await nonce.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_session_rate_limit_counts_per_signed_in_wallet()
    {
        var settings = MockSettings();
        settings["SESSION_RATE_LIMIT_PER_MINUTE"] = "2";
        await using var host = new ApiHost(settings);
        using var client = host.Client();
        var hostToken = await client.SignInAsync(Host);
        var guestToken = await client.SignInAsync(Guest);

        for (var i = 0; i < 2; i++)
        {
            var joined = await client.PostJsonAsync("/session/join", new { booking_id = "1" }, hostToken);
            Assert.True(joined.IsSuccessStatusCode, await joined.Content.ReadAsStringAsync());
        }
        await (await client.PostJsonAsync("/session/join", new { booking_id = "1" }, hostToken)).AssertErrorAsync(429, "too many requests");
        // Refused tokens never reach the limiter, and the other participant has a budget of their own.
        await (await client.PostJsonAsync("/session/join", new { booking_id = "1" }, "forged")).AssertErrorAsync(401, "unauthorized");
        var guest = await client.PostJsonAsync("/session/join", new { booking_id = "1" }, guestToken);
        Assert.True(guest.IsSuccessStatusCode, await guest.Content.ReadAsStringAsync());
        Assert.Equal("guest", (await guest.JsonAsync()).GetProperty("role").GetString());
    }
}
