using System.Security.Cryptography;

namespace SessionVoice.Core.Agora;

/// <summary>Which publish privileges a token carries besides audio (api.md, Join rules 6).</summary>
public sealed record RtcTokenOptions(bool PublishVideo = false, bool PublishData = false);

/// <summary>A token and the whole-second instants it was issued at and stops working at.</summary>
public sealed record IssuedRtcToken(string Token, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    // Tokens are bearer credentials: records print their members, so keep this one out of logs.
    public override string ToString() => $"IssuedRtcToken {{ IssuedAt = {IssuedAt:O}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>
/// Issues a participant's RTC token for a session: valid until the session end + 10 min, at most
/// 24 h and at least 60 s, with every privilege expiring with the token. Renewals
/// (<c>onTokenPrivilegeWillExpire</c>) call <see cref="Issue"/> again with the same channel and uid.
/// </summary>
public sealed class RtcTokenIssuer(AgoraCredentials creds, TimeProvider time, RtcTokenOptions options)
{
    public static readonly TimeSpan GraceAfterEnd = TimeSpan.FromMinutes(10);

    public const uint MinLifetimeSeconds = 60;

    // Agora's reference builders draw the salt from 1 … 99999999.
    private const int MaxSalt = 99_999_999;

    /// <param name="uid">A participant's uid from <see cref="AgoraUid"/>; 0 (any uid) is refused.</param>
    public IssuedRtcToken Issue(AgoraChannel channel, uint uid, DateTimeOffset sessionEnd)
    {
        if (uid == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(uid), "uid 0 would admit any user");
        }
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (now is < 0 or > uint.MaxValue)
        {
            throw new InvalidOperationException("the clock is outside AccessToken2's uint32 seconds");
        }
        var issueTs = (uint)now;
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(issueTs);
        var remaining = Math.Ceiling((sessionEnd + GraceAfterEnd - issuedAt).TotalSeconds);
        var lifetime = (uint)Math.Clamp(remaining, MinLifetimeSeconds, AccessToken2.MaxExpireSeconds);

        var privileges = new Dictionary<RtcPrivilege, uint>
        {
            [RtcPrivilege.JoinChannel] = lifetime,
            [RtcPrivilege.PublishAudioStream] = lifetime,
        };
        if (options.PublishVideo)
        {
            privileges[RtcPrivilege.PublishVideoStream] = lifetime;
        }
        if (options.PublishData)
        {
            privileges[RtcPrivilege.PublishDataStream] = lifetime;
        }
        var salt = NextSalt();
        var token = AccessToken2.BuildRtc(creds, channel.Name, uid, issueTs, salt, lifetime, privileges);
        return new IssuedRtcToken(token, issuedAt, issuedAt.AddSeconds(lifetime));
    }

    // Salts are not secrets (the reference draws them from Math.random): a per-thread buffer of CSPRNG
    // output, refilled 256 at a time, saves one RNG call per token. 2^32 mod 99 999 999 skews the draw by
    // under 1e-7, which does not matter for a salt.
    [ThreadStatic]
    private static uint[]? _salts;

    [ThreadStatic]
    private static int _nextSalt;

    private static uint NextSalt()
    {
        if (_salts is null || _nextSalt == _salts.Length)
        {
            _salts ??= new uint[256];
            RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_salts.AsSpan()));
            _nextSalt = 0;
        }
        return 1 + _salts[_nextSalt++] % MaxSalt;
    }
}
