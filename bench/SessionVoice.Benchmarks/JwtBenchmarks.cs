using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;

namespace SessionVoice.Benchmarks;

/// <summary>
/// Session JWTs (goal: validate ≤ 10 µs) through the service's own <see cref="JwtTokens"/>: the
/// issuing code and the validation parameters the bearer handler uses, not a copy of them.
/// </summary>
[MemoryDiagnoser]
public class JwtBenchmarks
{
    private readonly JsonWebTokenHandler _handler = new();
    private JwtTokens _jwt = null!;
    private TokenValidationParameters _parameters = null!;
    private string _token = "";

    [GlobalSetup]
    public void Setup()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AGORA_APP_ID"] = "970CA35de60c44645bbae8a215061b33",
            ["AGORA_APP_CERTIFICATE"] = "5CFd2fd1755d40ecb72977518be15d3b",
            ["JWT_SECRET"] = "benchmark-jwt-secret-that-is-long-enough-0123456789",
            ["MOCK_ESCROW"] = "1",
            ["MOCK_HOST"] = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            ["MOCK_GUEST"] = "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        }).Build();
        _jwt = new JwtTokens(ServiceSettings.Load(config), TimeProvider.System);
        _parameters = _jwt.ValidationParameters();
        // Issued against the real clock: validation checks lifetime against it, and a run lasts far less than 1 h.
        _token = JwtIssue();
        var result = _handler.ValidateTokenAsync(_token, _parameters).GetAwaiter().GetResult();
        Fixtures.Check(result.IsValid, "token validates: " + result.Exception?.Message);
        Fixtures.Check(result.ClaimsIdentity.Name == Fixtures.Key0Address.ToString(), "sub is the wallet");
    }

    /// <summary>What sign-in does after the signature checks out.</summary>
    [Benchmark]
    public string JwtIssue() => _jwt.Issue(Fixtures.Key0Address);

    /// <summary>What the bearer handler does on every authenticated request.</summary>
    [Benchmark(Baseline = true)]
    public Task<TokenValidationResult> JwtValidate() => _handler.ValidateTokenAsync(_token, _parameters);
}
