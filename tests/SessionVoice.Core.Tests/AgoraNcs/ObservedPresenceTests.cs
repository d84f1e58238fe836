using System.Text;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Core.Tests.AgoraNcs;

public class ObservedPresenceTests
{
    private const uint Host = 0xA1B2C3D4;
    private const uint Guest = 42;
    private const uint Stranger = 7;
    private const long T0 = 1_700_000_000;
    private const long Seq0 = 1_625_051_030_746;

    private static ObservedEvent Join(string id, uint uid, long seq, long ts) => new(id, uid, Seq0 + seq, T0 + ts, true, null);

    private static ObservedEvent Leave(string id, uint uid, long seq, long ts, int reason = 1) => new(id, uid, Seq0 + seq, T0 + ts, false, reason);

    private static PresenceEvent In(Party party, long ms) => new(party, PresenceKind.Join, (T0 * 1000) + ms, PresenceSource.Observed);

    private static PresenceEvent Out(Party party, long ms) => new(party, PresenceKind.Leave, (T0 * 1000) + ms, PresenceSource.Observed);

    private static PresenceInterval Interval(long fromMs, long? toMs) => new((T0 * 1000) + fromMs, toMs is { } to ? (T0 * 1000) + to : null);

    private static IReadOnlyList<PresenceEvent> ToPresence(params ObservedEvent[] events) => ObservedPresence.ToPresence(events, Host, Guest);

    [Fact]
    public void No_events_is_no_presence()
    {
        Assert.Empty(ToPresence());
    }

    [Fact]
    public void Join_leave_rejoin_gives_two_intervals_and_the_party_is_in()
    {
        var presence = ToPresence(
            Join("a", Host, 0, 0),
            Leave("b", Host, 10, 300, reason: 10),
            Join("c", Host, 20, 305),
            Join("d", Guest, 0, 2));
        Assert.Equal([In(Party.Host, 0), In(Party.Guest, 2000), Out(Party.Host, 300_000), In(Party.Host, 305_000)], presence);
        var log = new PresenceLog(presence);
        Assert.Equal([Interval(0, 300_000), Interval(305_000, null)], log.IntervalsOf(Party.Host));
        Assert.Equal([Interval(2000, null)], log.IntervalsOf(Party.Guest));
        Assert.True(log.IsIn(Party.Host));
    }

    [Fact]
    public void A_leave_and_rejoin_in_the_same_second_are_two_intervals_one_ms_apart()
    {
        var presence = ToPresence(
            Join("a", Guest, 0, 0),
            Leave("b", Guest, 1, 60, reason: 10),
            Join("c", Guest, 2, 60));
        Assert.Equal([In(Party.Guest, 0), Out(Party.Guest, 60_000), In(Party.Guest, 60_001)], presence);
        var log = new PresenceLog(presence);
        Assert.Equal([Interval(0, 60_000), Interval(60_001, null)], log.IntervalsOf(Party.Guest));
        Assert.True(log.IsIn(Party.Guest));
    }

    [Fact]
    public void Without_the_nudge_presence_log_would_put_a_rejoined_party_out()
    {
        // Why ObservedPresence nudges: PresenceLog sorts a Join before a Leave at the same time, so
        // a same-second leave and rejoin stamped ts * 1000 would read as "joined while in, then left".
        var naive = new PresenceLog([
            In(Party.Guest, 0),
            Out(Party.Guest, 60_000),
            In(Party.Guest, 60_000),
        ]);
        Assert.False(naive.IsIn(Party.Guest));
    }

    [Fact]
    public void Several_events_in_one_second_keep_client_seq_order()
    {
        var presence = ToPresence(
            Join("a", Host, 1, 5),
            Leave("b", Host, 2, 5, reason: 2),
            Join("c", Host, 3, 5),
            Leave("d", Host, 4, 5, reason: 1));
        Assert.Equal([In(Party.Host, 5000), Out(Party.Host, 5001), In(Party.Host, 5002), Out(Party.Host, 5003)], presence);
    }

    [Fact]
    public void Order_comes_from_client_seq_not_from_arrival()
    {
        var ordered = ToPresence(Join("a", Host, 1, 0), Leave("b", Host, 2, 60), Join("c", Host, 3, 90), Leave("d", Host, 4, 120));
        var arrived = ToPresence(Leave("d", Host, 4, 120), Leave("b", Host, 2, 60), Join("c", Host, 3, 90), Join("a", Host, 1, 0));
        Assert.Equal(ordered, arrived);
        Assert.Equal([Interval(0, 60_000), Interval(90_000, 120_000)], new PresenceLog(arrived).IntervalsOf(Party.Host));
    }

    [Fact]
    public void Order_comes_from_client_seq_not_from_ts_when_agoras_clock_steps_back()
    {
        var presence = ToPresence(Join("a", Host, 1, 100), Leave("b", Host, 2, 98, reason: 10), Join("c", Host, 3, 99));
        Assert.Equal([In(Party.Host, 100_000), Out(Party.Host, 100_001), In(Party.Host, 100_002)], presence);
    }

    [Fact]
    public void A_resent_notice_counts_once()
    {
        var join = Join("a", Host, 1, 0);
        Assert.Equal(ToPresence(join), ToPresence(join, join, join));
    }

    [Fact]
    public void A_resend_under_a_new_notice_id_counts_once()
    {
        var leave = Leave("b", Host, 2, 60, reason: 10);
        var rejoin = Join("c", Host, 3, 60);
        var expected = ToPresence(Join("a", Host, 1, 0), leave, rejoin);
        Assert.Equal(expected, ToPresence(Join("a", Host, 1, 0), leave with { NoticeId = "b2" }, leave, rejoin, rejoin with { NoticeId = "0" }));
        Assert.Equal(3, expected.Count);
    }

    [Fact]
    public void A_join_while_in_and_a_leave_while_out_are_ignored()
    {
        var presence = ToPresence(
            Leave("a", Guest, 1, 0),
            Join("b", Guest, 2, 10),
            Join("c", Guest, 3, 20),
            Leave("d", Guest, 4, 30),
            Leave("e", Guest, 5, 40));
        Assert.Equal([In(Party.Guest, 10_000), Out(Party.Guest, 30_000)], presence);
    }

    [Fact]
    public void A_reconnect_leave_with_no_later_join_still_counts_as_leaving()
    {
        foreach (var reason in new[] { 2, 4, 9, 10, 99 })
        {
            var log = new PresenceLog(ToPresence(Join("a", Host, 1, 0), Leave("b", Host, 2, 300, reason)));
            Assert.Equal([Interval(0, 300_000)], log.IntervalsOf(Party.Host));
            Assert.False(log.IsIn(Party.Host));
        }
    }

    [Fact]
    public void Other_uids_are_ignored_even_with_the_same_client_seqs()
    {
        var ours = new[] { Join("a", Host, 1, 0), Join("b", Guest, 1, 5) };
        var theirs = new[] { Leave("x", Stranger, 1, 1), Join("y", Stranger, 0, 0), Leave("z", NcsNotice.HealthCheckUid, 1, 2), Leave("w", 0, 1, 3) };
        Assert.Equal(ToPresence(ours), ToPresence([.. theirs, .. ours]));
    }

    [Fact]
    public void The_same_client_seq_from_host_and_guest_are_two_events()
    {
        Assert.Equal([In(Party.Host, 0), In(Party.Guest, 0)], ToPresence(Join("b", Guest, 1, 0), Join("a", Host, 1, 0)));
    }

    [Fact]
    public void Equal_uids_all_go_to_the_host()
    {
        var presence = ObservedPresence.ToPresence([Join("a", Host, 1, 0), Leave("b", Host, 2, 9)], Host, Host);
        Assert.All(presence, e => Assert.Equal(Party.Host, e.Party));
        Assert.Equal(2, presence.Count);
    }

    [Fact]
    public void Conflicting_copies_of_one_client_seq_resolve_to_the_smallest_notice_id_whatever_the_order()
    {
        var asJoin = Join("m", Host, 1, 0);
        var asLeave = Leave("k", Host, 1, 0) with { ClientSeq = asJoin.ClientSeq };
        var later = Leave("z", Host, 2, 9);
        var one = ToPresence(asJoin, asLeave, later);
        var other = ToPresence(later, asLeave, asJoin);
        Assert.Equal(one, other);
        // "k" < "m": the leave wins, so there is no join before the later leave and no presence at all.
        Assert.Empty(one);
    }

    [Fact]
    public void Conflicting_copies_under_one_notice_id_resolve_the_same_whatever_the_order()
    {
        var a = Join("n", Host, 1, 0);
        var b = Join("n", Host, 1, 4);
        var c = Join("n", Host, 2, 0);
        var expected = ToPresence(a);
        Assert.Equal(expected, ToPresence(b, c, a));
        Assert.Equal(expected, ToPresence(c, a, b));
        Assert.Equal([In(Party.Host, 0)], expected);
    }

    [Fact]
    public void Times_outside_what_the_parser_accepts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ToPresence(new ObservedEvent("a", Host, 1, -1, true, null)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ToPresence(new ObservedEvent("a", Host, 1, NcsNotice.TsSecondsLimit, true, null)));
        // Events that are ignored anyway are not inspected.
        Assert.Empty(ToPresence(new ObservedEvent("a", Stranger, 1, -1, true, null)));
        Assert.Single(ToPresence(new ObservedEvent("a", Host, 1, NcsNotice.TsSecondsLimit - 1, true, null)));
    }

    [Fact]
    public void From_webhook_bodies_to_intervals()
    {
        string Body(string id, int type, uint uid, long seq, long ts, string extra = "") =>
            $$"""{"noticeId":"{{id}}","productId":1,"eventType":{{type}},"notifyMs":{{(ts * 1000) + 700}},"payload":{"channelName":"heaven-6343-7","uid":{{uid}},"platform":7,"clientSeq":{{seq}},"ts":{{ts}}""" + extra + "}}";
        string[] arrivals =
        [
            Body("n3", 104, uint.MaxValue, Seq0 + 30, T0 + 600, ""","reason":10,"duration":600"""),
            Body("n1", 103, uint.MaxValue, Seq0 + 10, T0),
            Body("n2", 103, Guest, Seq0 + 20, T0 + 30),
            Body("n4", 103, uint.MaxValue, Seq0 + 40, T0 + 600),
            Body("n1", 103, uint.MaxValue, Seq0 + 10, T0),
            Body("n5", 104, Guest, Seq0 + 50, T0 + 1800, ""","reason":1,"duration":1770"""),
            Body("n6", 103, Stranger, Seq0 + 60, T0 + 900),
            Body("n4-resent", 103, uint.MaxValue, Seq0 + 40, T0 + 600),
        ];
        var observed = arrivals
            .Select(b => Assert.IsType<NcsParseResult.Parsed>(NcsNotice.Parse(Encoding.UTF8.GetBytes(b))).Notice)
            .Select(n => n.TryGetObservedEvent(out var e) ? e : throw new InvalidOperationException(n.ToString()))
            .ToArray();
        var log = new PresenceLog(ObservedPresence.ToPresence(observed, uint.MaxValue, Guest));
        Assert.Equal([Interval(0, 600_000), Interval(600_001, null)], log.IntervalsOf(Party.Host));
        Assert.Equal([Interval(30_000, 1_800_000)], log.IntervalsOf(Party.Guest));
    }
}
