using SessionVoice.Core.Agora;

namespace SessionVoice.Core.Tests.Agora;

public class RtcTokenIssuerTests
{
    private static readonly AgoraCredentials Creds = new("970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_760_000_000);
    private static readonly AgoraChannel Channel = AgoraChannel.TryCreate("heaven-6343-7", out var ch) ? ch : throw new InvalidOperationException();

    private static (IssuedRtcToken Issued, DecodedToken Decoded) Issue(DateTimeOffset sessionEnd, RtcTokenOptions? options = null, uint uid = 3_000_000_000)
    {
        var issuer = new RtcTokenIssuer(Creds, new FakeTime(Now), options ?? new RtcTokenOptions());
        var issued = issuer.Issue(Channel, uid, sessionEnd);
        return (issued, DecodedToken.Parse(issued.Token));
    }

    [Fact]
    public void Token_lasts_until_session_end_plus_ten_minutes()
    {
        var end = Now.AddMinutes(45);
        var (issued, decoded) = Issue(end);

        Assert.Equal(45u * 60 + 600, decoded.Expire);
        Assert.Equal((uint)Now.ToUnixTimeSeconds(), decoded.IssueTs);
        Assert.Equal(Now, issued.IssuedAt);
        Assert.Equal(end.AddMinutes(10), issued.ExpiresAt);
        Assert.All(decoded.Rtc.Privileges, p => Assert.Equal(decoded.Expire, p.Expire));
    }

    [Fact]
    public void Token_for_a_session_two_days_away_is_capped_at_24_hours()
    {
        var (issued, decoded) = Issue(Now.AddDays(2));
        Assert.Equal(86_400u, decoded.Expire);
        Assert.Equal(Now.AddDays(1), issued.ExpiresAt);
        Assert.All(decoded.Rtc.Privileges, p => Assert.Equal(86_400u, p.Expire));
    }

    [Fact]
    public void Token_for_an_ended_session_is_floored_at_60_seconds()
    {
        var (issued, decoded) = Issue(Now.AddHours(-3));
        Assert.Equal(60u, decoded.Expire);
        Assert.Equal(Now.AddSeconds(60), issued.ExpiresAt);
    }

    [Fact]
    public void Sub_second_clock_is_counted_from_the_whole_issue_second()
    {
        var issuer = new RtcTokenIssuer(Creds, new FakeTime(Now.AddMilliseconds(999)), new RtcTokenOptions());
        var issued = issuer.Issue(Channel, 7, Now.AddMinutes(30));
        var decoded = DecodedToken.Parse(issued.Token);
        Assert.Equal((uint)Now.ToUnixTimeSeconds(), decoded.IssueTs);
        Assert.Equal(30u * 60 + 600, decoded.Expire);
    }

    [Fact]
    public void Default_privileges_are_join_and_publish_audio()
    {
        var (_, decoded) = Issue(Now.AddMinutes(30));
        Assert.Equal([(ushort)1, (ushort)2], decoded.Rtc.Privileges.Select(p => p.Id));
    }

    [Fact]
    public void Video_and_data_add_privileges_3_and_4()
    {
        var (_, decoded) = Issue(Now.AddMinutes(30), new RtcTokenOptions(PublishVideo: true, PublishData: true));
        Assert.Equal([(ushort)1, (ushort)2, (ushort)3, (ushort)4], decoded.Rtc.Privileges.Select(p => p.Id));
        var (_, videoOnly) = Issue(Now.AddMinutes(30), new RtcTokenOptions(PublishVideo: true));
        Assert.Equal([(ushort)1, (ushort)2, (ushort)3], videoOnly.Rtc.Privileges.Select(p => p.Id));
    }

    [Fact]
    public void Token_names_the_channel_and_uid_and_is_signed()
    {
        var (_, decoded) = Issue(Now.AddMinutes(30));
        Assert.Equal(Creds.AppId, decoded.AppId);
        Assert.Equal(["heaven-6343-7", "3000000000"], decoded.Rtc.Strings);
        Assert.True(decoded.SignatureValidFor(Creds.AppCertificate));
        Assert.InRange(decoded.Salt, 1u, 99_999_999u);
    }

    [Fact]
    public void Uid_0_and_default_channel_are_refused()
    {
        var issuer = new RtcTokenIssuer(Creds, new FakeTime(Now), new RtcTokenOptions());
        Assert.Throws<ArgumentOutOfRangeException>(() => issuer.Issue(Channel, 0, Now.AddMinutes(30)));
        Assert.Throws<ArgumentException>(() => issuer.Issue(default, 7, Now.AddMinutes(30)));
    }

    [Fact]
    public void Issued_token_does_not_print_the_token()
    {
        var (issued, _) = Issue(Now.AddMinutes(30));
        Assert.DoesNotContain(issued.Token, issued.ToString(), StringComparison.Ordinal);
    }
}
