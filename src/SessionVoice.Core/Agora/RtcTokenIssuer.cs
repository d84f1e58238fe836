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
        var salt = (uint)RandomNumberGenerator.GetInt32(1, MaxSalt + 1);
        var token = AccessToken2.BuildRtc(creds, channel.Name, uid, issueTs, salt, lifetime, privileges);
        return new IssuedRtcToken(token, issuedAt, issuedAt.AddSeconds(lifetime));
    }
}
