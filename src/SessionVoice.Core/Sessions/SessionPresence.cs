
namespace SessionVoice.Core.Sessions;

/// <summary>
/// Both parties' presence as the policy counts it (spec: union of [join, leave) intervals, clipped to
/// [S − early, E]). Built once from every given event with open intervals running to E; each query
/// then cuts at the cutoff t − settle. Cutting afterwards is the same as reading only the events
/// before the cutoff, because <see cref="PresenceLog"/> pairs events in time order, so the settled
/// part never depends on later events. That makes the time at which the overlap will reach the
/// threshold computable now, which is what <see cref="Decision.Wait"/> needs.
/// </summary>
internal sealed class SessionPresence
{
    private readonly PolicyBoundaries _bounds;
    private readonly List<MsSpan> _host;
    private readonly List<MsSpan> _guest;
    private readonly List<MsSpan> _hostInSession;
    private readonly List<MsSpan> _guestInSession;
    private readonly List<MsSpan> _together;

    public SessionPresence(PolicyBoundaries bounds, IEnumerable<PresenceEvent> events)
    {
        _bounds = bounds;
        var log = new PresenceLog(events);
        _host = Known(log, Party.Host, bounds);
        _guest = Known(log, Party.Guest, bounds);
        _hostInSession = MsSpans.Clip(_host, bounds.SessionFromMs, bounds.SessionToMs);
        _guestInSession = MsSpans.Clip(_guest, bounds.SessionFromMs, bounds.SessionToMs);
        _together = MsSpans.Intersect(_hostInSession, _guestInSession);
    }

    /// <summary>|host ∩ guest ∩ [S, min(cutoff, E)]|.</summary>
    public long OverlapMs(long cutoffMs) => MsSpans.MeasureBefore(_together, cutoffMs);

    /// <summary>The cutoff at which the overlap reaches <paramref name="thresholdMs"/> if nobody comes or goes, or null if it never will.</summary>
    public long? OverlapReachesMs(long thresholdMs) => MsSpans.PointReaching(_together, thresholdMs);

    /// <summary>
    /// Presence in [S − early, G) before the cutoff. Half-open at G: a join stamped exactly at G is
    /// late, and from G + settle on (when rule 4 asks) the answer no longer depends on t.
    /// </summary>
    public bool Seen(Party party, long cutoffMs) =>
        Spans(party) is [var first, ..] && first.FromMs < Math.Min(_bounds.GraceEndMs, cutoffMs);

    /// <summary>Presence inside [S, E] before the cutoff: what rule 4 compares when the overlap falls short.</summary>
    public long PresentInSessionMs(Party party, long cutoffMs) =>
        MsSpans.MeasureBefore(party == Party.Host ? _hostInSession : _guestInSession, cutoffMs);

    /// <summary>
    /// Where the stretch holding <paramref name="party"/> in the call at the cutoff ends, or null when
    /// the party is not in: a span with From &lt; cutoff &lt; To, the same "still in" as
    /// <see cref="LastLeaveMs"/>. The end is the settled leave, or E for a span still open (or left
    /// after E); a leave stamped after the cutoff is not known yet and leaves the party in.
    /// </summary>
    public long? InCallUntilMs(Party party, long cutoffMs)
    {
        foreach (var span in Spans(party))
        {
            if (span.FromMs < cutoffMs && cutoffMs < span.ToMs)
            {
                return span.ToMs;
            }
        }
        return null;
    }

    public long? FirstJoinMs(Party party, long cutoffMs) =>
        Spans(party) is [var first, ..] && first.FromMs < cutoffMs ? first.FromMs : null;

    /// <summary>The end of the last settled stretch of presence; null while it runs past the cutoff (still in, as far as anyone knows).</summary>
    public long? LastLeaveMs(Party party, long cutoffMs)
    {
        var spans = Spans(party);
        for (var i = spans.Count - 1; i >= 0; i--)
        {
            if (spans[i].FromMs < cutoffMs)
            {
                return spans[i].ToMs <= cutoffMs ? spans[i].ToMs : null;
            }
        }
        return null;
    }

    private List<MsSpan> Spans(Party party) => party == Party.Host ? _host : _guest;

    private static List<MsSpan> Known(PresenceLog log, Party party, PolicyBoundaries bounds) =>
        MsSpans.Clip(
            log.IntervalsOf(party).Select(i => new MsSpan(i.FromMs, i.ToMs ?? long.MaxValue)),
            bounds.PresenceFromMs,
            bounds.SessionToMs);
}
