namespace SessionVoice.Core.Agora.Ncs;

/// <summary>
/// One join or leave as Agora observed it, reduced to what ordering and presence need. Built from a
/// notice by <see cref="NcsNotice.TryGetObservedEvent"/>; <paramref name="TsSeconds"/> is the event time
/// in unix seconds, <paramref name="ClientSeq"/> the user's own sequence that orders its events.
/// </summary>
public sealed record ObservedEvent(string NoticeId, uint Uid, long ClientSeq, long TsSeconds, bool IsJoin, int? Reason);
