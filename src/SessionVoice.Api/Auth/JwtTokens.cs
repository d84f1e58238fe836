using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionVoice.Api.Configuration;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Auth;

/// <summary>HS256 session tokens: sub = lowercase wallet, 1 h, with iss/aud/jti.</summary>
public sealed class JwtTokens(ServiceSettings settings, TimeProvider time)
{
    public const string Issuer = "session-voice";
    public const string Audience = "session-voice";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly SymmetricSecurityKey _key = new(settings.JwtSecret);
    private readonly JsonWebTokenHandler _handler = new();

    /// <summary>What the bearer handler validates with: <see cref="ValidationParameters"/>, valid tokens remembered.</summary>
    public ValidatedTokenCache BearerValidation { get; } = new();

    public string Issue(Address wallet)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, wallet.ToString()), new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N"))]),
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>What the bearer handler enforces: HS256 only, our issuer and audience, lifetime with 30 s skew.</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        IssuerSigningKey = _key,
        ValidateIssuerSigningKey = true,
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = ClockSkew,
        NameClaimType = JwtRegisteredClaimNames.Sub,
    };

    /// <summary>The wallet of an authenticated request (the sub claim).</summary>
    public static Address? WalletOf(ClaimsPrincipal user) =>
        Address.TryParse(user.FindFirstValue(JwtRegisteredClaimNames.Sub), out var wallet) ? wallet : null;
}
