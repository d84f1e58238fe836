using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionVoice.Api.Configuration;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Auth;

/// <summary>
/// HS256 session tokens: sub = lowercase wallet, iss/aud "session-voice", a random jti, iat = nbf = now, exp = now + 1 h.
/// Issued by a fixed-format writer (the claims are known in advance, so no descriptor, claims identity or JSON
/// serializer per sign-in), validated by <see cref="JsonWebTokenHandler"/> with <see cref="ValidationParameters"/>.
/// </summary>
public sealed class JwtTokens(ServiceSettings settings, TimeProvider time)
{
    public const string Issuer = "session-voice";
    public const string Audience = "session-voice";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    // base64url of {"alg":"HS256","typ":"JWT"}, the header JsonWebTokenHandler writes for this key.
    private const string Header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

    private readonly byte[] _secret = settings.JwtSecret;
    private readonly SymmetricSecurityKey _key = new(settings.JwtSecret);
    private TokenValidationParameters? _parameters;

    /// <summary>What session tokens are validated with: <see cref="ValidationParameters"/>, valid tokens remembered.</summary>
    public ValidatedTokenCache BearerValidation { get; } = new();

    public string Issue(Address wallet)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$"""{"sub":"{{wallet}}","jti":"{{Guid.NewGuid():N}}","iss":"{{Issuer}}","aud":"{{Audience}}","iat":{{now}},"nbf":{{now}},"exp":{{now + (long)Lifetime.TotalSeconds}}}"""));
        var signingInput = Header + "." + Base64Url.EncodeToString(payload);
        var signature = HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The caller a session token stands for, or null when it is not one of ours or no longer valid.</summary>
    public async ValueTask<ClaimsPrincipal?> AuthenticateAsync(string token)
    {
        var result = await BearerValidation.ValidateTokenAsync(token, _parameters ??= ValidationParameters());
        return result.IsValid ? new ClaimsPrincipal(result.ClaimsIdentity) : null;
    }

    /// <summary>HS256 only, our issuer and audience, lifetime with 30 s skew, signed tokens only.</summary>
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
