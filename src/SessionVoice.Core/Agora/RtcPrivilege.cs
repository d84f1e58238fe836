
namespace SessionVoice.Core.Agora;

/// <summary>
/// RTC privileges of an AccessToken2 (ids from Agora's reference builders). Publish privileges are
/// enforced by Agora only when "co-host authentication" is on in the Console.
/// </summary>
public enum RtcPrivilege : ushort
{
    JoinChannel = 1,
    PublishAudioStream = 2,
    PublishVideoStream = 3,
    PublishDataStream = 4,
}
