using SessionVoice.Core.Agora;

namespace SessionVoice.Core.Tests.Agora;

public class AccessToken2ValidationTests
{
    private static readonly AgoraCredentials Creds = new("970CA35de60c44645bbae8a215061b33", "5CFd2fd1755d40ecb72977518be15d3b");

    private static Dictionary<RtcPrivilege, uint> Join(uint seconds) => new() { [RtcPrivilege.JoinChannel] = seconds };

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("room*")]
    [InlineData("é")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123")]
    public void Wildcard_or_invalid_channels_are_refused(string channel)
    {
        Assert.Throws<ArgumentException>(() => AccessToken2.BuildRtc(Creds, channel, 1, 1, 1, 600, Join(600)));
    }

    [Theory]
    [InlineData(0u, 600u)]
    [InlineData(86_401u, 600u)]
    [InlineData(1_800_000_000u, 600u)]
    [InlineData(600u, 0u)]
    [InlineData(600u, 601u)]
    public void Expiries_outside_1_to_86400_or_beyond_the_token_are_refused(uint token, uint join)
    {
        Assert.ThrowsAny<ArgumentException>(() => AccessToken2.BuildRtc(Creds, "room", 1, 1, 1, token, Join(join)));
    }

    [Fact]
    public void Publish_privileges_may_not_outlive_join()
    {
        var privileges = new Dictionary<RtcPrivilege, uint> { [RtcPrivilege.JoinChannel] = 300, [RtcPrivilege.PublishAudioStream] = 301 };
        Assert.Throws<ArgumentException>(() => AccessToken2.BuildRtc(Creds, "room", 1, 1, 1, 600, privileges));
    }

    [Fact]
    public void Join_privilege_and_known_privileges_are_required()
    {
        Assert.Throws<ArgumentException>(() => AccessToken2.BuildRtc(Creds, "room", 1, 1, 1, 600,
            new Dictionary<RtcPrivilege, uint> { [RtcPrivilege.PublishAudioStream] = 600 }));
        Assert.Throws<ArgumentException>(() => AccessToken2.BuildRtc(Creds, "room", 1, 1, 1, 600,
            new Dictionary<RtcPrivilege, uint> { [RtcPrivilege.JoinChannel] = 600, [(RtcPrivilege)9] = 600 }));
    }

    [Fact]
    public void Uids_above_int_max_are_written_unsigned()
    {
        var token = AccessToken2.BuildRtc(Creds, "room", uint.MaxValue, 1, 1, 600, Join(600));
        Assert.Equal("4294967295", DecodedToken.Parse(token).Rtc.Strings[1]);
    }
}
