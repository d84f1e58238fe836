using System.IO.Compression;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Benchmarks;

/// <summary>Agora AccessToken2 RTC tokens (goal: ≤ 10 µs), plus the parts that dominate it.</summary>
[MemoryDiagnoser]
public class AccessToken2Benchmarks
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly AgoraCredentials _creds = new("970ca35de60c44645bbae8a215061b33", "5cfd2fd1755d40ecb72977518be15d3b");
    private readonly Dictionary<RtcPrivilege, uint> _privileges = new()
    {
        [RtcPrivilege.JoinChannel] = 2400,
        [RtcPrivilege.PublishAudioStream] = 2400,
    };

    // RtcTokenIssuer's salt range, 1 … 99999999.
    private readonly int _saltLimit = 100_000_000;

    private uint _salt = 12_345_678;
    private AgoraChannel _channel;
    private RtcTokenIssuer _issuer = null!;
    private byte[] _content = [];

    [GlobalSetup]
    public void Setup()
    {
        Fixtures.Check(AgoraChannel.TryForBooking(31337, new BookingId(42), out _channel), "channel name");
        _issuer = new RtcTokenIssuer(_creds, new FixedTime(Now), new RtcTokenOptions());
        var token = AccessToken2.BuildRtc(_creds, _channel.Name, 4_049_231_714, 1_700_000_000, 12_345_678, 2400, _privileges);
        Fixtures.Check(token.StartsWith(AccessToken2.Version, StringComparison.Ordinal), "007 token");
        // The token's own content (inflated back), for the zlib and HMAC breakdowns.
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(Convert.FromBase64String(token[AccessToken2.Version.Length..])), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }
        _content = inflated.ToArray();
    }

    /// <summary>The raw builder: join + publish-audio, 40 min.</summary>
    [Benchmark(Baseline = true)]
    public string AccessToken2Build() =>
        AccessToken2.BuildRtc(_creds, _channel.Name, 4_049_231_714, 1_700_000_000, 12_345_678, 2400, _privileges);

    /// <summary>
    /// The same with a new salt each call, as in production. Deflate is data-dependent: the fixed-input
    /// benchmark above repeats byte-identical input and flatters deflate by about 3 µs on the 2 vCPU reference machine.
    /// </summary>
    [Benchmark]
    public string AccessToken2BuildFreshSalt() =>
        AccessToken2.BuildRtc(_creds, _channel.Name, 4_049_231_714, 1_700_000_000, _salt = (_salt % 99_999_999) + 1, 2400, _privileges);

    /// <summary>What the join endpoint calls: lifetime clamp, privilege map, random salt, build.</summary>
    [Benchmark]
    public IssuedRtcToken RtcTokenIssue() => _issuer.Issue(_channel, 4_049_231_714, Now.AddMinutes(30));

    /// <summary>Breakdown: SmallZlib over the token's content (fixed input), as AccessToken2.Encode does.</summary>
    [Benchmark]
    public int SmallZlibOnly()
    {
        Span<byte> compressed = stackalloc byte[SmallZlib.MaxOutputLength(_content.Length)];
        return SmallZlib.Compress(_content, compressed);
    }

    /// <summary>For comparison: a fresh ZLibStream at CompressionLevel.Optimal over the same content (what AccessToken2.Encode used before SmallZlib).</summary>
    [Benchmark]
    public int ZlibOptimalOnly()
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(_content);
        }
        return (int)compressed.Length;
    }

    /// <summary>Breakdown: the three HMAC-SHA256 calls of the signing-key chain and signature.</summary>
    [Benchmark]
    public byte[] HmacChainOnly()
    {
        var k1 = HMACSHA256.HashData("\u0000\u0001\u0002\u0003"u8, "5cfd2fd1755d40ecb72977518be15d3b"u8);
        var k2 = HMACSHA256.HashData("\u0004\u0005\u0006\u0007"u8, k1);
        return HMACSHA256.HashData(k2, _content);
    }

    /// <summary>Breakdown: the random salt RtcTokenIssuer draws per token (OpenSSL RAND_bytes, rejection sampling).</summary>
    [Benchmark]
    public int RandomSaltOnly() => RandomNumberGenerator.GetInt32(1, _saltLimit);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
