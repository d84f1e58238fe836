
namespace SessionVoice.Core.Sessions;

public enum PresenceKind
{
    Join,
    Leave,
}

/// <summary>Where a presence event came from: observed by Agora, or claimed by a client call.</summary>
public enum PresenceSource
{
    Observed = 1,
    Claimed = 2,
}

/// <summary>One presence event at its event time (unix milliseconds), never its arrival time.</summary>
public sealed record PresenceEvent(Party Party, PresenceKind Kind, long AtMs, PresenceSource Source);

/// <summary>A half-open presence interval [From, To); To is null while the party is still in.</summary>
public sealed record PresenceInterval(long FromMs, long? ToMs);

/// <summary>
/// The presence of both parties reduced to intervals: events ordered by time, a join while already
/// in is ignored, a leave without a join is ignored, and a rejoin opens a new interval.
/// </summary>
public sealed class PresenceLog
{
    private readonly Dictionary<Party, List<PresenceInterval>> _intervals = new() { [Party.Host] = [], [Party.Guest] = [] };

    public PresenceLog(IEnumerable<PresenceEvent> events)
    {
        foreach (var e in events.OrderBy(e => e.AtMs).ThenBy(e => e.Kind))
        {
            var list = _intervals[e.Party];
            var open = list.Count > 0 && list[^1].ToMs is null;
            if (e.Kind == PresenceKind.Join && !open)
            {
                list.Add(new PresenceInterval(e.AtMs, null));
            }
            else if (e.Kind == PresenceKind.Leave && open)
            {
                list[^1] = list[^1] with { ToMs = e.AtMs };
            }
        }
    }

    public IReadOnlyList<PresenceInterval> IntervalsOf(Party party) => _intervals[party];

    public long? FirstJoinMs(Party party) => _intervals[party] is [var first, ..] ? first.FromMs : null;

    /// <summary>The last leave, or null when the party never left or is in right now.</summary>
    public long? LastLeaveMs(Party party) => _intervals[party] is [.., var last] ? last.ToMs : null;

    public bool IsIn(Party party) => _intervals[party] is [.., { ToMs: null }];

    /// <summary>
    /// Milliseconds both parties were in at once within [<paramref name="fromMs"/>, <paramref name="toMs"/>); open
    /// intervals run to <paramref name="toMs"/>. The same figure as the overlap of the events clamped into the window.
    /// </summary>
    public long OverlapMs(long fromMs, long toMs)
    {
        long total = 0;
        foreach (var h in _intervals[Party.Host])
        {
            foreach (var g in _intervals[Party.Guest])
            {
                var from = Math.Max(fromMs, Math.Max(h.FromMs, g.FromMs));
                var to = Math.Min(toMs, Math.Min(h.ToMs ?? toMs, g.ToMs ?? toMs));
                if (to > from)
                {
                    total += to - from;
                }
            }
        }
        return total;
    }
}
