using System.Security.Claims;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SessionVoice.Benchmarks;

/// <summary>
/// Session JWTs (goal: validate ≤ 10 µs), configured exactly as src/SessionVoice.Api/Auth/JwtTokens.cs:
/// HS256 only, iss/aud "session-voice", 1 h lifetime, 30 s clock skew, sub + jti claims. Mirrored here
/// rather than referencing the API project, which would pull in Dapr, SQLite and OpenTelemetry.
/// </summary>
[MemoryDiagnoser]
public class JwtBenchmarks
{
    private const string Issuer = "session-voice";
    private const string Audience = "session-voice";
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly JsonWebTokenHandler _handler = new();
    private SymmetricSecurityKey _key = null!;
    private TokenValidationParameters _parameters = null!;
    private string _token = "";

    [GlobalSetup]
    public void Setup()
    {
        // A 32-byte secret, as ServiceSettings requires for HS256.
        _key = new SymmetricSecurityKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        _parameters = new TokenValidationParameters
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
        // Issued against the real clock: validation checks lifetime against it, and a run lasts far less than 1 h.
        _token = JwtIssue();
        var result = _handler.ValidateTokenAsync(_token, _parameters).GetAwaiter().GetResult();
        Fixtures.Check(result.IsValid, "token validates: " + result.Exception?.Message);
        Fixtures.Check(result.ClaimsIdentity.Name == Fixtures.Key0Address.ToString(), "sub is the wallet");
    }

    /// <summary>What JwtTokens.Issue does after sign-in.</summary>
    [Benchmark]
    public string JwtIssue()
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([
                new Claim(JwtRegisteredClaimNames.Sub, Fixtures.Key0Address.ToString()),
                new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
            ]),
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>What the bearer handler does on every authenticated request.</summary>
    [Benchmark(Baseline = true)]
    public Task<TokenValidationResult> JwtValidate() => _handler.ValidateTokenAsync(_token, _parameters);
}
