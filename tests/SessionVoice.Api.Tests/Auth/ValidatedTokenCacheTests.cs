using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Auth;

/// <summary>The bearer validation that remembers valid tokens: a remembered token never outlives its checks.</summary>
public class ValidatedTokenCacheTests
{
    private static readonly Address Wallet = AnvilAccounts.Signer(AnvilAccounts.Guest).Address;

    private static ServiceSettings Settings()
    {
        var settings = ApiHost.MockSettings(Wallet, AnvilAccounts.Signer(AnvilAccounts.Stranger).Address, "/tmp/unused");
        return ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
    }

    [Fact]
    public async Task A_valid_token_is_remembered_and_each_answer_has_its_own_claims()
    {
        var jwt = new JwtTokens(Settings(), TimeProvider.System);
        var token = jwt.Issue(Wallet);
        var first = await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters());
        var second = await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters());

        Assert.True(first.IsValid);
        Assert.True(second.IsValid);
        Assert.Equal(1, jwt.BearerValidation.Count);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        Assert.Equal(Wallet.ToString(), second.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value);
        Assert.Equal(first.SecurityToken.ValidTo, second.SecurityToken.ValidTo);
    }

    [Fact]
    public async Task A_tampered_token_is_refused_after_the_genuine_one_was_remembered()
    {
        var jwt = new JwtTokens(Settings(), TimeProvider.System);
        var token = jwt.Issue(Wallet);
        Assert.True((await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters())).IsValid);

        var parts = token.Split('.');
        // Another signature, another payload (sub of someone else, same signature), another key.
        var signature = parts[2][..^2] + (parts[2][^2] == 'A' ? "B" : "A") + parts[2][^1];
        var otherSub = new JwtTokens(Settings(), TimeProvider.System).Issue(AnvilAccounts.Signer(AnvilAccounts.Stranger).Address).Split('.')[1];
        var otherKey = new JsonWebTokenHandler().CreateToken(parts[1], new Microsoft.IdentityModel.Tokens.SigningCredentials(
            new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256));
        foreach (var forged in new[] { $"{parts[0]}.{parts[1]}.{signature}", $"{parts[0]}.{otherSub}.{parts[2]}", otherKey, token + "x" })
        {
            Assert.False((await jwt.BearerValidation.ValidateTokenAsync(forged, jwt.ValidationParameters())).IsValid, forged);
        }
        Assert.Equal(1, jwt.BearerValidation.Count);
        Assert.True((await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters())).IsValid);
    }

    [Fact]
    public async Task A_remembered_token_is_refused_once_it_expires()
    {
        // Issued so that it expires (exp plus the 30 s skew) about 1.5 s from now.
        var issuedAt = new ShiftedTime();
        issuedAt.AdvanceMs(-(long)(JwtTokens.Lifetime + JwtTokens.ClockSkew).TotalMilliseconds + 1_500);
        var jwt = new JwtTokens(Settings(), issuedAt);
        var token = jwt.Issue(Wallet);
        var valid = await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters());
        Assert.True(valid.IsValid);
        var expiresAt = valid.SecurityToken.ValidTo + JwtTokens.ClockSkew;

        var deadline = Stopwatch.StartNew();
        while (DateTime.UtcNow <= expiresAt.AddMilliseconds(50))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the token did not reach its expiry");
            var before = DateTime.UtcNow < expiresAt.AddMilliseconds(-50);
            var answer = await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters());
            if (before)
            {
                Assert.True(answer.IsValid);
            }
            await Task.Delay(20);
        }
        Assert.False((await jwt.BearerValidation.ValidateTokenAsync(token, jwt.ValidationParameters())).IsValid);
        Assert.False((await new JsonWebTokenHandler().ValidateTokenAsync(token, jwt.ValidationParameters())).IsValid);
        Assert.Equal(0, jwt.BearerValidation.Count);
    }

    [Fact]
    public async Task The_memory_stays_bounded()
    {
        var jwt = new JwtTokens(Settings(), TimeProvider.System);
        for (var i = 0; i < ValidatedTokenCache.MaxEntries + 10; i++)
        {
            Assert.True((await jwt.BearerValidation.ValidateTokenAsync(jwt.Issue(Wallet), jwt.ValidationParameters())).IsValid);
        }
        Assert.InRange(jwt.BearerValidation.Count, 1, ValidatedTokenCache.MaxEntries);
    }
}
