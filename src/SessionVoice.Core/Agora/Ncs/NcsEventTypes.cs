namespace SessionVoice.Core.Agora.Ncs;

/// <summary>
/// NCS RTC channel event types and leave reasons (agora.md B). 109 and 110 are not RTC channel
/// events in Agora's table, so they have no name here.
/// </summary>
public static class NcsEventTypes
{
    /// <summary>The first user joined; no uid sequence (no <c>clientSeq</c>).</summary>
    public const int ChannelCreate = 101;

    /// <summary>The last user left; carries <c>lastUid</c>, no <c>clientSeq</c>.</summary>
    public const int ChannelDestroy = 102;

    /// <summary>Live-broadcast profile; SDK v4.x communication users are reported here too.</summary>
    public const int BroadcasterJoin = 103;

    public const int BroadcasterLeave = 104;

    public const int AudienceJoin = 105;

    public const int AudienceLeave = 106;

    /// <summary>Communication profile.</summary>
    public const int CommunicationJoin = 107;

    public const int CommunicationLeave = 108;

    public const int RoleToBroadcaster = 111;

    public const int RoleToAudience = 112;

    /// <summary>A user entered the channel, in whatever role or profile.</summary>
    public static bool IsJoin(int eventType) => eventType is BroadcasterJoin or AudienceJoin or CommunicationJoin;

    /// <summary>A user left the channel, in whatever role or profile.</summary>
    public static bool IsLeave(int eventType) => eventType is BroadcasterLeave or AudienceLeave or CommunicationLeave;

    /// <summary>
    /// Leave reasons after which the client usually reconnects by itself (2 timeout, 4 server-internal,
    /// 9 multiple IPs, 10 network, 99 unknown network), splitting one visit into several join/leave pairs.
    /// </summary>
    public static bool IsReconnectReason(int reason) => reason is 2 or 4 or 9 or 10 or 99;
}
