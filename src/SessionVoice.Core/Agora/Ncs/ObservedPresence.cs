using SessionVoice.Core.Sessions;

namespace SessionVoice.Core.Agora.Ncs;

/// <summary>
/// The canonical presence of a booking's two uids from what Agora observed. NCS delivers out of order
/// and re-sends on purpose (agora.md B), so the result depends only on the <em>set</em> of events:
/// <list type="number">
/// <item>Events of other uids are dropped (the host's wins if both uids were equal; they never are).</item>
/// <item>Duplicates go: one event per <c>NoticeId</c>, then one per (uid, <c>ClientSeq</c>), since
/// Agora also re-sends an event under a new notice id. When copies disagree the choice is fixed, not
/// first-come: per notice id the smallest (uid, clientSeq, ts, join-before-leave, reason); per
/// (uid, clientSeq) the ordinally smallest notice id.</item>
/// <item>Each uid's events are ordered by <c>ClientSeq</c>, never by arrival, <c>notifyMs</c> or <c>ts</c>.</item>
/// <item>They fold into strict alternation starting with a join: a join while in and a leave while out
/// are dropped. A reconnect leave (<see cref="NcsEventTypes.IsReconnectReason"/>) is an ordinary leave:
/// the later join is a rejoin and opens a new interval, and with no later join the party has left.</item>
/// <item>A party's events get <c>AtMs = max(ts * 1000, previous AtMs + 1)</c>. <c>ts</c> has whole
/// seconds only, and <see cref="PresenceLog"/> sorts by (AtMs, Join before Leave), so a leave and
/// the rejoin in the same second would otherwise swap and leave the party out while it is in; the
/// same 1 ms nudge also keeps clientSeq order if Agora's clock steps back. A time is moved by at most
/// the number of the party's earlier events in the same second, in milliseconds.</item>
/// </list>
/// </summary>
public static class ObservedPresence
{
    public static IReadOnlyList<PresenceEvent> ToPresence(IEnumerable<ObservedEvent> events, uint hostUid, uint guestUid)
    {
        ArgumentNullException.ThrowIfNull(events);
        var byNotice = new Dictionary<string, ObservedEvent>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            ArgumentNullException.ThrowIfNull(e);
            if (e.Uid != hostUid && e.Uid != guestUid)
            {
                continue;
            }
            ArgumentNullException.ThrowIfNull(e.NoticeId, nameof(events));
            ArgumentOutOfRangeException.ThrowIfNegative(e.TsSeconds, nameof(events));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(e.TsSeconds, NcsNotice.TsSecondsLimit, nameof(events));
            if (!byNotice.TryGetValue(e.NoticeId, out var kept) || Precedes(e, kept))
            {
                byNotice[e.NoticeId] = e;
            }
        }

        var bySeq = new Dictionary<(uint Uid, long ClientSeq), ObservedEvent>();
        foreach (var e in byNotice.Values)
        {
            var key = (e.Uid, e.ClientSeq);
            if (!bySeq.TryGetValue(key, out var kept) || string.CompareOrdinal(e.NoticeId, kept.NoticeId) < 0)
            {
                bySeq[key] = e;
            }
        }

        var presence = new List<PresenceEvent>();
        Fold(Party.Host, hostUid, bySeq.Values, presence);
        if (guestUid != hostUid)
        {
            Fold(Party.Guest, guestUid, bySeq.Values, presence);
        }
        // Per party the times are strictly increasing, so (AtMs, Party) is a total order.
        presence.Sort((a, b) => a.AtMs != b.AtMs ? a.AtMs.CompareTo(b.AtMs) : a.Party.CompareTo(b.Party));
        return presence;
    }

    private static void Fold(Party party, uint uid, IEnumerable<ObservedEvent> events, List<PresenceEvent> into)
    {
        var isIn = false;
        var previousAtMs = long.MinValue;
        foreach (var e in events.Where(e => e.Uid == uid).OrderBy(e => e.ClientSeq))
        {
            if (e.IsJoin == isIn)
            {
                continue;
            }
            isIn = e.IsJoin;
            var atMs = Math.Max(e.TsSeconds * 1000, previousAtMs + 1);
            into.Add(new PresenceEvent(party, isIn ? PresenceKind.Join : PresenceKind.Leave, atMs, PresenceSource.Observed));
            previousAtMs = atMs;
        }
    }

    /// <summary>A fixed order between two events that claim the same notice id, so which one arrived first does not matter.</summary>
    private static bool Precedes(ObservedEvent a, ObservedEvent b)
    {
        var c = a.Uid.CompareTo(b.Uid);
        if (c == 0)
        {
            c = a.ClientSeq.CompareTo(b.ClientSeq);
        }
        if (c == 0)
        {
            c = a.TsSeconds.CompareTo(b.TsSeconds);
        }
        if (c == 0)
        {
            c = b.IsJoin.CompareTo(a.IsJoin);
        }
        if (c == 0)
        {
            c = Nullable.Compare(a.Reason, b.Reason);
        }
        return c < 0;
    }
}
