using System.Text;
using System.Text.Json;
using SessionVoice.Core.Agora;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Agora;

/// <summary>
/// Our tokens against agora-token 2.0.6 (tools/agora-token-oracle.js) over generated inputs, all in
/// one node process. The seed is fixed so a failing case can be replayed.
/// </summary>
public class AccessToken2OracleTests
{
    private const int Cases = 300;
    private const string ChannelAlphabet =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&()+-:;<=.>?@[]^_{}|~,";
    private static readonly uint[] EdgeUids = [0, 1, int.MaxValue, 1u << 31, uint.MaxValue, 2882341273];

    private sealed record Case(AgoraCredentials Creds, string Channel, uint Uid, uint IssueTs, uint Salt, uint Expire,
        Dictionary<RtcPrivilege, uint> Privileges)
    {
        public string ToJson() => JsonSerializer.Serialize(new
        {
            appId = Creds.AppId,
            appCertificate = Creds.AppCertificate,
            channel = Channel,
            uid = Uid,
            issueTs = IssueTs,
            salt = Salt,
            expire = Expire,
            privileges = Privileges.ToDictionary(p => ((ushort)p.Key).ToString(), p => p.Value),
        });
    }

    private static string RandomHex(Random random)
    {
        const string digits = "0123456789abcdefABCDEF";
        return string.Create(32, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = digits[r.Next(digits.Length)];
            }
        });
    }

    private static string RandomChannel(Random random)
    {
        var length = random.Next(4) == 0 ? AgoraChannel.MaxBytes : random.Next(1, AgoraChannel.MaxBytes + 1);
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            sb.Append(ChannelAlphabet[random.Next(ChannelAlphabet.Length)]);
        }
        return sb.ToString();
    }

    private static uint RandomUInt(Random random, uint minInclusive, uint maxInclusive) =>
        (uint)random.NextInt64(minInclusive, (long)maxInclusive + 1);

    private static Case RandomCase(Random random, int index)
    {
        var creds = new AgoraCredentials(RandomHex(random), RandomHex(random));
        var uid = index < EdgeUids.Length ? EdgeUids[index] : RandomUInt(random, 0, uint.MaxValue);
        var salt = random.Next(2) == 0 ? RandomUInt(random, 1, 99_999_999) : RandomUInt(random, 0, uint.MaxValue);
        var expire = random.Next(5) == 0 ? AccessToken2.MaxExpireSeconds : RandomUInt(random, 1, AccessToken2.MaxExpireSeconds);
        var join = random.Next(2) == 0 ? expire : RandomUInt(random, 1, expire);
        // Inserted in shuffled order: the builder, not the dictionary, must sort them.
        var privileges = new[] { RtcPrivilege.JoinChannel, RtcPrivilege.PublishAudioStream, RtcPrivilege.PublishVideoStream, RtcPrivilege.PublishDataStream }
            .Where(p => p == RtcPrivilege.JoinChannel || random.Next(2) == 0)
            .OrderBy(_ => random.Next())
            .ToDictionary(p => p, p => p == RtcPrivilege.JoinChannel || random.Next(2) == 0 ? join : RandomUInt(random, 1, join));
        return new Case(creds, RandomChannel(random), uid, RandomUInt(random, 0, uint.MaxValue), salt, expire, privileges);
    }

    [Fact]
    public async Task Generated_rtc_tokens_equal_agora_token_npm()
    {
        var random = new Random(2007);
        var cases = Enumerable.Range(0, Cases).Select(i => RandomCase(random, i)).ToArray();
        var stdin = string.Join('\n', cases.Select(c => c.ToJson())) + "\n";

        var result = await ProcessRunner.RunAsync("node", [Path.Combine(RepoPaths.Tools, "agora-token-oracle.js")], stdin: stdin);
        var theirs = result.EnsureSuccess("agora-token-oracle.js").Split('\n');

        Assert.Equal(Cases, theirs.Length);
        var fullMatches = 0;
        var differing = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            var c = cases[i];
            var ours = AccessToken2.BuildRtc(c.Creds, c.Channel, c.Uid, c.IssueTs, c.Salt, c.Expire, c.Privileges);
            Assert.True(DecodedToken.Inflate(theirs[i]).AsSpan().SequenceEqual(DecodedToken.Inflate(ours)), $"case {i}: {c.ToJson()}");
            if (ours == theirs[i])
            {
                fullMatches++;
            }
            else
            {
                differing.Add($"case {i}: {c.ToJson()}\n  ours   {ours}\n  theirs {theirs[i]}");
            }
        }
        // Agora accepts any zlib stream, so only the content (hence the signature) has to match, and
        // it does for every case. The full string is reported, not asserted: .NET's zlib-ng at
        // Optimal and Node's zlib at level 6 agree on the official vectors and on almost every
        // generated input, but occasionally pick different matches (seen: 299/300 with this seed).
        TestContext.Current.TestOutputHelper?.WriteLine($"{fullMatches}/{Cases} full token strings equal agora-token's byte for byte");
        foreach (var line in differing.Take(5))
        {
            TestContext.Current.TestOutputHelper?.WriteLine(line);
        }
    }

    [Fact]
    public async Task A_wallet_ending_above_2_pow_31_gets_a_token_for_its_masked_uid_that_agora_token_rebuilds()
    {
        // Ends in 0xdeadbeef (>= 2^31): the Android client could not hold that uid as a signed int.
        var wallet = SessionVoice.Core.Ethereum.Address.Parse("0x00000000000000000000000000000000deadbeef");
        var uid = AgoraUid.ForWallet(wallet);
        Assert.Equal(0x5eadbeefu, uid);

        var creds = new AgoraCredentials("970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b");
        var now = DateTimeOffset.FromUnixTimeSeconds(1_760_000_000);
        Assert.True(AgoraChannel.TryCreate("heaven-6343-42", out var channel));
        var issued = new RtcTokenIssuer(creds, new FakeTime(now), new RtcTokenOptions()).Issue(channel, uid, now.AddMinutes(30));
        var decoded = DecodedToken.Parse(issued.Token);
        Assert.Equal(["heaven-6343-42", "1588444911"], decoded.Rtc.Strings);
        Assert.True(int.Parse(decoded.Rtc.Strings[1], System.Globalization.CultureInfo.InvariantCulture) > 0);

        var theirsInput = new Case(creds, channel.Name, uid, decoded.IssueTs, decoded.Salt, decoded.Expire,
            decoded.Rtc.Privileges.ToDictionary(p => (RtcPrivilege)p.Id, p => p.Expire)).ToJson() + "\n";
        var result = await ProcessRunner.RunAsync("node", [Path.Combine(RepoPaths.Tools, "agora-token-oracle.js")], stdin: theirsInput);
        var theirs = result.EnsureSuccess("agora-token-oracle.js").Trim();
        Assert.Equal(DecodedToken.Inflate(theirs), DecodedToken.Inflate(issued.Token));
    }
}
