using Microsoft.Extensions.DependencyInjection;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Sessions;

/// <summary>Requests that arrive together share commits and turns; none of them may be lost or let through twice.</summary>
public class ConcurrencyTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
    private static readonly PrivateKeySigner Stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);

    [Fact]
    public async Task Every_one_of_many_simultaneous_joins_is_recorded()
    {
        var booking = await fx.Chain.CreateBookingAsync(await fx.Chain.NowAsync() - 60);
        var tokens = new[] { await fx.Client.SignInAsync(Host), await fx.Client.SignInAsync(Guest) };
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            fx.Client.PostJsonAsync("/session/join", new { booking_id = booking.Id.ToString() }, tokens[i % 2])));

        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, r.StatusCode.ToString()));
        var claims = await fx.Host.Services.GetRequiredService<IPresenceStore>().ListAsync(booking.Id, default);
        Assert.Equal(200, claims.Count);
        Assert.Equal(100, claims.Count(c => c.Party == Party.Host));
        Assert.All(claims, c => Assert.Equal(PresenceKind.Join, c.Kind));
    }

    [Fact]
    public async Task A_signed_message_sent_many_times_at_once_signs_in_once()
    {
        var message = $"heaven-session:{DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 100}";
        var body = new { wallet = Stranger.Address.ToString(), message, signature = PersonalMessage.Sign(message, Stranger).ToHex() };
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => fx.Client.PostJsonAsync("/auth", body)));

        Assert.Equal(1, responses.Count(r => r.IsSuccessStatusCode));
        foreach (var refused in responses.Where(r => !r.IsSuccessStatusCode))
        {
            await refused.AssertErrorAsync(401, "message already used");
        }
    }

    [Fact]
    public async Task A_nonce_sent_many_times_at_once_signs_in_once()
    {
        var nonce = (await (await fx.Client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        var body = new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() };
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => fx.Client.PostJsonAsync("/auth/verify", body)));

        Assert.Equal(1, responses.Count(r => r.IsSuccessStatusCode));
        foreach (var refused in responses.Where(r => !r.IsSuccessStatusCode))
        {
            await refused.AssertErrorAsync(401, "invalid or expired nonce");
        }
    }
}
