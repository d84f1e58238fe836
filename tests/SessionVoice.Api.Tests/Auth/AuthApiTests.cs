using Microsoft.Extensions.Configuration;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Api.Auth;

namespace SessionVoice.Api.Tests.Auth;

public class AuthApiTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
    private static readonly PrivateKeySigner Stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static object SeedBody(string wallet, string message, string signature) => new { wallet, message, signature };

    [Fact]
    public async Task Sign_in_returns_a_jwt_whose_sub_is_the_lowercase_wallet()
    {
        var message = $"heaven-session:{Now - 250}";
        var response = await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToChecksumString(), message, PersonalMessage.Sign(message, Guest).ToHex()));
        var token = (await response.JsonAsync()).GetProperty("token").GetString()!;
        var payload = token.Split('.')[1];
        var json = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=').Replace('-', '+').Replace('_', '/')));
        Assert.Contains($"\"sub\":\"{Guest.Address}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"exp\":", json, StringComparison.Ordinal);
        Assert.Contains("\"iat\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lowercase_and_checksummed_wallets_both_sign_in()
    {
        string[] wallets = [Guest.Address.ToString(), Guest.Address.ToChecksumString(), "0x" + Guest.Address.ToString()[2..].ToUpperInvariant()];
        var now = Now;
        for (var i = 0; i < wallets.Length; i++)
        {
            var wallet = wallets[i];
            var message = $"heaven-session:{now - 270 - i}";
            var response = await fx.Client.PostJsonAsync("/auth", SeedBody(wallet, message, PersonalMessage.Sign(message, Guest).ToHex()));
            Assert.True(response.IsSuccessStatusCode, wallet + " " + await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_replayed_message_is_refused()
    {
        var message = $"heaven-session:{Now + 250}";
        var body = SeedBody(Stranger.Address.ToString(), message, PersonalMessage.Sign(message, Stranger).ToHex());
        Assert.True((await fx.Client.PostJsonAsync("/auth", body)).IsSuccessStatusCode);
        await (await fx.Client.PostJsonAsync("/auth", body)).AssertErrorAsync(401, "message already used");
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    [InlineData(-86400)]
    public async Task Old_and_future_timestamps_are_refused(long offset)
    {
        var message = $"heaven-session:{Now + offset}";
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, PersonalMessage.Sign(message, Guest).ToHex())))
            .AssertErrorAsync(401, "message expired");
    }

    [Fact]
    public async Task A_signature_by_another_key_is_refused()
    {
        var message = $"heaven-session:{Now - 100}";
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, PersonalMessage.Sign(message, Stranger).ToHex())))
            .AssertErrorAsync(401, "invalid signature");
    }

    [Fact]
    public async Task Truncated_and_malformed_signatures_are_refused()
    {
        var message = $"heaven-session:{Now - 99}";
        var signature = PersonalMessage.Sign(message, Guest).ToHex();
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, signature[..^2]))).AssertErrorAsync(401, "invalid signature");
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, signature[..^1]))).AssertErrorAsync(400, "signature must be 0x-prefixed hex");
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, signature[2..]))).AssertErrorAsync(400, "signature must be 0x-prefixed hex");
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, "0xzz"))).AssertErrorAsync(400, "signature must be 0x-prefixed hex");
        // The message is still unused: the right signature works afterwards.
        Assert.True((await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, signature))).IsSuccessStatusCode);
    }

    [Theory]
    [InlineData("heaven-session:")]
    [InlineData("heaven-session:abc")]
    [InlineData("heaven-session: 1700000000")]
    [InlineData("heaven-session:1700000000 ")]
    [InlineData("other:1700000000")]
    [InlineData("heaven-session:-1")]
    [InlineData("heaven-session:99999999999999999999")]
    public async Task Malformed_messages_are_refused(string message)
    {
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(Guest.Address.ToString(), message, PersonalMessage.Sign(message, Guest).ToHex())))
            .AssertErrorAsync(400, "message must be heaven-session:{unix seconds}");
    }

    [Theory]
    [InlineData("""{"message":"heaven-session:1","signature":"0x00"}""", "wallet is required")]
    [InlineData("""{"wallet":123,"message":"heaven-session:1","signature":"0x00"}""", "wallet must be a string")]
    [InlineData("""{"wallet":"0x1234","message":"heaven-session:1","signature":"0x00"}""", "wallet must be a 0x-prefixed 20-byte address")]
    [InlineData("""{"wallet":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","message":1,"signature":"0x00"}""", "message must be a string")]
    [InlineData("""{"wallet":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","message":"heaven-session:1"}""", "signature is required")]
    [InlineData("""{"wallet":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","message":"heaven-session:1","signature":["0x00"]}""", "signature must be a string")]
    [InlineData("""{"wallet":"0xf39fd6""", "malformed JSON")]
    [InlineData("""[1,2,3]""", "body must be a JSON object")]
    [InlineData("", "malformed JSON")]
    public async Task Bad_bodies_get_a_clear_400(string body, string error)
    {
        await (await fx.Client.PostRawAsync("/auth", body)).AssertErrorAsync(400, error);
    }

    [Fact]
    public async Task Nonce_flow_signs_in_once_per_nonce()
    {
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToChecksumString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        Assert.Equal(80, nonce.Length);
        var body = new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() };
        var first = await fx.Client.PostJsonAsync("/auth/verify", body);
        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty((await first.JsonAsync()).GetProperty("token").GetString()));
        await (await fx.Client.PostJsonAsync("/auth/verify", body)).AssertErrorAsync(401, "invalid or expired nonce");
    }

    [Fact]
    public async Task A_used_nonce_in_another_letter_case_is_not_a_fresh_one()
    {
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        Assert.Equal(nonce.ToLowerInvariant(), nonce);
        var first = await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() });
        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());

        // The same nonce spelled otherwise, with a fresh signature over that very string.
        var firstLetter = nonce.IndexOf(nonce.First(char.IsLetter), StringComparison.Ordinal);
        foreach (var respelled in new[] { nonce.ToUpperInvariant(), nonce[..firstLetter] + char.ToUpperInvariant(nonce[firstLetter]) + nonce[(firstLetter + 1)..] })
        {
            Assert.NotEqual(nonce, respelled);
            await (await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce = respelled, signature = PersonalMessage.Sign(respelled, Guest).ToHex() }))
                .AssertErrorAsync(401, "invalid or expired nonce");
        }
    }

    [Fact]
    public async Task A_refused_token_is_answered_without_saying_why()
    {
        var forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIweDAxIiwiZXhwIjoxfQ.c2lnbmF0dXJl";
        var response = await fx.Client.GetAsync("/session/1/stats", forged);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Equal("Bearer", challenge);
    }

    [Fact]
    public async Task A_bad_signature_does_not_burn_the_nonce()
    {
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        await (await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Stranger).ToHex() }))
            .AssertErrorAsync(401, "invalid signature");
        var good = await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() });
        Assert.True(good.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_nonce_is_bound_to_its_wallet_and_unknown_nonces_fail()
    {
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        await (await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Stranger.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Stranger).ToHex() }))
            .AssertErrorAsync(401, "invalid or expired nonce");
        await (await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce = "0123456789abcdef0123456789abcdef", signature = PersonalMessage.Sign("x", Guest).ToHex() }))
            .AssertErrorAsync(401, "invalid or expired nonce");
        await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = "nope" })).AssertErrorAsync(400, "wallet must be a 0x-prefixed 20-byte address");
    }

    [Fact]
    public async Task A_tampered_nonce_is_refused()
    {
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        foreach (var forged in new[] { (nonce[0] == 'a' ? "b" : "a") + nonce[1..], nonce[..^1] + (nonce[^1] == '0' ? "1" : "0"), nonce[..40] })
        {
            await (await fx.Client.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce = forged, signature = PersonalMessage.Sign(forged, Guest).ToHex() }))
                .AssertErrorAsync(401, "invalid or expired nonce");
        }
    }

    [Fact]
    public void A_nonce_expires_after_its_lifetime_and_is_bound_to_its_wallet()
    {
        var nonces = new SignInNonces(Configuration.ServiceSettings.Load(
            new ConfigurationBuilder().AddInMemoryCollection(SettingsForMock()).Build()));
        var nonce = nonces.Issue(Guest.Address, 1_000);
        Assert.True(nonces.IsValid(nonce, Guest.Address, 1_000, out var expires));
        Assert.Equal(1_000, expires);
        Assert.False(nonces.IsValid(nonce, Guest.Address, 1_001, out _));
        Assert.False(nonces.IsValid(nonce, Stranger.Address, 900, out _));
    }

    private static Dictionary<string, string?> SettingsForMock() => ApiHost.MockSettings(Guest.Address, Stranger.Address, "/tmp/unused");

    [Fact]
    public async Task A_nonce_issued_by_one_replica_signs_in_on_another_once()
    {
        var other = ApiHost.ChainSettings(fx.Chain, ApiHost.TempDataDir());
        await using var replica = new ApiHost(other);
        using var second = replica.Client();
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        var body = new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() };
        Assert.True((await second.PostJsonAsync("/auth/verify", body)).IsSuccessStatusCode);
        await (await second.PostJsonAsync("/auth/verify", body)).AssertErrorAsync(401, "invalid or expired nonce");
    }

    [Fact]
    public async Task A_contract_wallet_signs_in_through_erc1271()
    {
        var artifact = await ContractArtifacts.LoadAsync("Erc1271Wallet");
        var wallet = await fx.Chain.Anvil.DeployAsync(AnvilAccounts.Address(AnvilAccounts.Deployer), [.. artifact.Bytecode, .. new AbiEncoder().Address(Guest.Address).ToArray()]);
        var message = $"heaven-session:{Now - 42}";
        var response = await fx.Client.PostJsonAsync("/auth", SeedBody(wallet.ToChecksumString(), message, PersonalMessage.Sign(message, Guest).ToHex()));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var otherMessage = $"heaven-session:{Now - 43}";
        await (await fx.Client.PostJsonAsync("/auth", SeedBody(wallet.ToString(), otherMessage, PersonalMessage.Sign(otherMessage, Stranger).ToHex())))
            .AssertErrorAsync(401, "invalid signature");
    }
}
