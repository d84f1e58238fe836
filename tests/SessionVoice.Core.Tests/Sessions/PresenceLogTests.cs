using FsCheck.Fluent;
using SessionVoice.Core.Sessions;
using static SessionVoice.Core.Sessions.Party;

namespace SessionVoice.Core.Tests.Sessions;

public class PresenceLogTests
{
    private static PresenceEvent E(Party party, PresenceKind kind, long atMs) => new(party, kind, atMs, PresenceSource.Observed);

    /// <summary>
    /// The window overlap against the plainest reading of the rules: for every millisecond, replay the events up to it
    /// (by time, joins before leaves, a join while in and a leave while out ignored) and count it when both are in.
    /// </summary>
    [Fact]
    public void Overlap_within_a_window_counts_every_millisecond_both_parties_are_in()
    {
        var events = Gen.Elements(Host, Guest).SelectMany(party => Gen.Elements(PresenceKind.Join, PresenceKind.Leave).SelectMany(kind =>
            Gen.Choose(0, 120).Select(at => E(party, kind, at)))).ArrayOf();
        var cases = events.SelectMany(list => Gen.Choose(-5, 125).SelectMany(from => Gen.Choose(-5, 125).Select(to => (list, from, to))));
        var ran = PropertyRuns.Run(cases, 3000, c =>
        {
            var expected = 0L;
            for (long t = c.from; t < c.to; t++)
            {
                if (InAt(c.list, Host, t) && InAt(c.list, Guest, t))
                {
                    expected++;
                }
            }
            Assert.Equal(expected, new PresenceLog(c.list).OverlapMs(c.from, c.to));
        });
        Assert.Equal(3000, ran);
    }

    [Fact]
    public void A_rejoin_before_the_window_counts_from_the_window_start()
    {
        // The host was in, left and came back before the start; the guest came just before the start too.
        PresenceEvent[] events = [E(Host, PresenceKind.Join, 1_000), E(Host, PresenceKind.Leave, 2_000), E(Host, PresenceKind.Join, 3_000), E(Guest, PresenceKind.Join, 4_000)];
        Assert.Equal(60_000, new PresenceLog(events).OverlapMs(10_000, 70_000));
        // A leave after the window's end and a rejoin later still end the count at the window's end.
        PresenceEvent[] later = [.. events, E(Host, PresenceKind.Leave, 80_000), E(Host, PresenceKind.Join, 90_000)];
        Assert.Equal(60_000, new PresenceLog(later).OverlapMs(10_000, 70_000));
        Assert.Equal(0, new PresenceLog(events).OverlapMs(70_000, 10_000));
    }

    private static bool InAt(PresenceEvent[] events, Party party, long t)
    {
        var inside = false;
        foreach (var e in events.Where(e => e.Party == party && e.AtMs <= t).OrderBy(e => e.AtMs).ThenBy(e => e.Kind))
        {
            inside = e.Kind == PresenceKind.Join;
        }
        return inside;
    }
}
