
namespace SessionVoice.Core.Sessions;

/// <summary>
/// The presence figures <see cref="OutcomePolicy"/> decided on, at one time t. Everything is clipped as
/// the policy clips it: nothing after t − settle is counted; first join and last leave lie in
/// [S − early, E] (unix milliseconds); a last leave is null while the party is still in as far as the
/// settled log shows. Present time is each party's presence inside [S, E] (the figure rule 4 compares);
/// overlap is |host ∩ guest ∩ [S, min(t − settle, E)]|. Seen means presence in [S − early, G).
/// </summary>
public sealed record PresenceSummary(
    long? HostFirstJoinMs,
    long? HostLastLeaveMs,
    long? GuestFirstJoinMs,
    long? GuestLastLeaveMs,
    long HostPresentMs,
    long GuestPresentMs,
    long OverlapMs,
    bool HostSeen,
    bool GuestSeen);
