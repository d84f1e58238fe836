using FsCheck.Fluent;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Core.Tests.AgoraNcs;

/// <summary>
/// <see cref="ObservedPresence.ToPresence"/> depends on the set of observed events only, whatever
/// order and duplication NCS delivers them in (generators in <see cref="ObservedStreams"/>). Each test
/// asserts how many cases ran.
/// </summary>
public class ObservedPresenceProperties
{
    private const int Cases = 5000;

    [Fact]
    public void Well_formed_streams_give_the_same_presence_and_intervals_however_they_arrive()
    {
        var ran = PropertyRuns.Run(ObservedStreams.Deliveries(ObservedStreams.Scenarios(ObservedStreams.WellFormed)), Cases, d =>
        {
            var s = d.Scenario;
            var expected = ObservedPresence.ToPresence(s.Ordered, s.Host, s.Guest);
            var delivered = ObservedPresence.ToPresence(d.Arrivals, s.Host, s.Guest);
            Assert.Equal(expected, delivered);
            Assert.Equal(expected, ObservedPresence.ToPresence(s.Ours, s.Host, s.Guest));
            // Well-formed: nothing is dropped, every event comes out once.
            Assert.Equal(s.HostStream.Length + s.GuestStream.Length, delivered.Count);
            Assert.All(delivered, e => Assert.Equal(PresenceSource.Observed, e.Source));

            var log = new PresenceLog(delivered);
            Assert.Equal(ObservedStreams.IntervalsOf(s.HostStream), log.IntervalsOf(Party.Host));
            Assert.Equal(ObservedStreams.IntervalsOf(s.GuestStream), log.IntervalsOf(Party.Guest));
        });
        Assert.Equal(Cases, ran);
    }

    [Fact]
    public void Any_streams_give_the_same_clean_alternation_however_they_arrive()
    {
        var ran = PropertyRuns.Run(ObservedStreams.Deliveries(ObservedStreams.Scenarios(ObservedStreams.Arbitrary)), Cases, d =>
        {
            var s = d.Scenario;
            var expected = ObservedPresence.ToPresence(s.Ordered, s.Host, s.Guest);
            var delivered = ObservedPresence.ToPresence(d.Arrivals, s.Host, s.Guest);
            Assert.Equal(expected, delivered);
            Assert.Equal(expected, ObservedPresence.ToPresence(s.Ours, s.Host, s.Guest));

            var log = new PresenceLog(delivered);
            foreach (var (party, stream) in new[] { (Party.Host, s.HostStream), (Party.Guest, s.GuestStream) })
            {
                var mine = delivered.Where(e => e.Party == party).ToArray();
                for (var i = 0; i < mine.Length; i++)
                {
                    Assert.Equal(i % 2 == 0 ? PresenceKind.Join : PresenceKind.Leave, mine[i].Kind);
                    Assert.True(i == 0 || mine[i].AtMs > mine[i - 1].AtMs, "times strictly increase");
                }
                // The log keeps the alternation as it is: one interval per join, none merged or lost.
                var intervals = log.IntervalsOf(party);
                Assert.Equal(mine.Count(e => e.Kind == PresenceKind.Join), intervals.Count);
                Assert.Equal(mine.Select(e => e.AtMs), intervals.SelectMany(iv => iv.ToMs is { } to ? new[] { iv.FromMs, to } : [iv.FromMs]));
                // The first event emitted is the first join in clientSeq order, at its own second.
                var firstJoin = stream.OrderBy(e => e.ClientSeq).FirstOrDefault(e => e.IsJoin);
                Assert.Equal(firstJoin?.TsSeconds * 1000, mine.FirstOrDefault()?.AtMs);
            }
        });
        Assert.Equal(Cases, ran);
    }

    [Fact]
    public void Contradicting_copies_resolve_the_same_whatever_the_arrival_order()
    {
        var scenarios = ObservedStreams.Scenarios(ObservedStreams.WithConflicts(ObservedStreams.Arbitrary));
        var ran = PropertyRuns.Run(ObservedStreams.Deliveries(scenarios, newNoticeIds: false), Cases, d =>
        {
            var s = d.Scenario;
            Assert.Equal(ObservedPresence.ToPresence(s.Ordered, s.Host, s.Guest), ObservedPresence.ToPresence(d.Arrivals, s.Host, s.Guest));
            Assert.Equal(ObservedPresence.ToPresence(s.Ordered.Reverse(), s.Host, s.Guest), ObservedPresence.ToPresence(d.Arrivals, s.Host, s.Guest));
        });
        Assert.Equal(Cases, ran);
    }

    [Fact]
    public void Presence_is_sorted_by_time_then_party()
    {
        var ran = PropertyRuns.Run(ObservedStreams.Deliveries(ObservedStreams.Scenarios(ObservedStreams.Arbitrary)), 1000, d =>
        {
            var presence = ObservedPresence.ToPresence(d.Arrivals, d.Scenario.Host, d.Scenario.Guest);
            Assert.Equal(presence.OrderBy(e => e.AtMs).ThenBy(e => e.Party), presence);
        });
        Assert.Equal(1000, ran);
    }
}
