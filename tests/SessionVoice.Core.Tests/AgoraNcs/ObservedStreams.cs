using FsCheck;
using FsCheck.Fluent;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Core.Tests.AgoraNcs;

/// <summary>What Agora observed for one booking: each uid's events in clientSeq order, and the strangers in the channel.</summary>
internal sealed record ObservedScenario(uint Host, uint Guest, ObservedEvent[] HostStream, ObservedEvent[] GuestStream, ObservedEvent[][] Others)
{
    public ObservedEvent[] Ordered => [.. HostStream, .. GuestStream, .. Others.SelectMany(o => o)];

    public ObservedEvent[] Ours => [.. HostStream, .. GuestStream];

    public override string ToString() =>
        $"host {Host}: [{string.Join(", ", HostStream.Select(Show))}]\nguest {Guest}: [{string.Join(", ", GuestStream.Select(Show))}]\nothers: {Others.Sum(o => o.Length)} events";

    public static string Show(ObservedEvent e) => $"{(e.IsJoin ? "J" : "L" + e.Reason)}#{e.ClientSeq % 100_000}@{e.TsSeconds % 10_000}/{e.NoticeId}";
}

/// <summary>A scenario and one way NCS might deliver it: shuffled, with re-sent copies.</summary>
internal sealed record Delivery(ObservedScenario Scenario, ObservedEvent[] Arrivals)
{
    public override string ToString() => $"{Scenario}\narrivals: [{string.Join(", ", Arrivals.Select(ObservedScenario.Show))}]";
}

/// <summary>
/// Generators for observed NCS streams. Client sequences start near the same value for every uid, so
/// strangers share clientSeqs with the host and guest; ts often repeats within a stream, because
/// same-second leave and rejoin is where ordering by time goes wrong.
/// </summary>
internal static class ObservedStreams
{
    private const long Seq0 = 1_625_051_030_000;
    private const long T0 = 1_700_000_000;

    private static readonly uint[] Hosts = [0xA1B2C3D4, uint.MaxValue, 1, 0x80000000];
    private static readonly uint[] Guests = [42, 0x7FFFFFFF, 2, 0xFFFFFFFE];
    private static readonly uint[] Strangers = [7, NcsNotice.HealthCheckUid, 0, 3];

    private static readonly Gen<int?> LeaveReasons = Gen.Frequency(
        (3, Gen.Elements<int?>(2, 4, 9, 10, 99)),
        (2, Gen.Elements<int?>(1, 3, 5, 12, 999, 0)),
        (1, Gen.Constant<int?>(null)));

    private static readonly Gen<int> SeqSteps = Gen.Frequency((3, Gen.Constant(1)), (2, Gen.Choose(2, 1000)));

    private static readonly Gen<int> TsSteps = Gen.Frequency((3, Gen.Constant(0)), (3, Gen.Choose(1, 5)), (1, Gen.Choose(6, 3600)));

    /// <summary>Alternating join/leave from a join, strictly increasing clientSeq, non-decreasing ts.</summary>
    public static Gen<ObservedEvent[]> WellFormed(uint uid) =>
        from n in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 12)))
        from seq0 in Gen.Choose(0, 20)
        from ts0 in Gen.Choose(0, 100)
        from seqSteps in Gen.ArrayOf(SeqSteps, n)
        from tsSteps in Gen.ArrayOf(TsSteps, n)
        from reasons in Gen.ArrayOf(LeaveReasons, n)
        from ids in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), n)
        select Build(uid, seq0, ts0, seqSteps, tsSteps, reasons, ids, i => i % 2 == 0);

    /// <summary>
    /// Anything goes except a repeated clientSeq: kinds at random (double joins, leading leaves),
    /// ts moving backwards, and the list not in clientSeq order.
    /// </summary>
    public static Gen<ObservedEvent[]> Arbitrary(uint uid) =>
        from n in Gen.Choose(0, 12)
        from seq0 in Gen.Choose(0, 20)
        from seqSteps in Gen.ArrayOf(SeqSteps, n)
        from ts in Gen.ArrayOf(Gen.Choose(0, 30), n)
        from joins in Gen.ArrayOf(Gen.Elements(true, false), n)
        from reasons in Gen.ArrayOf(LeaveReasons, n)
        from ids in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), n)
        let built = Build(uid, seq0, 0, seqSteps, [], reasons, ids, i => joins[i])
        from shuffled in Gen.Shuffle(built.Select((e, i) => e with { TsSeconds = T0 + ts[i] }))
        select shuffled;

    /// <summary>
    /// A stream plus contradicting copies that only a broken sender or a forger would produce: the same
    /// (uid, clientSeq) under another notice id with the other kind or another ts, or the same notice
    /// id with another clientSeq or ts.
    /// </summary>
    public static Func<uint, Gen<ObservedEvent[]>> WithConflicts(Func<uint, Gen<ObservedEvent[]>> stream) => uid =>
        from events in stream(uid)
        from twins in Gen.ArrayOf(Gen.Frequency((2, Gen.Constant(-1)), (1, Gen.Choose(0, 3))), events.Length)
        from prefixes in Gen.ArrayOf(Gen.Choose(0, int.MaxValue), events.Length)
        from shifts in Gen.ArrayOf(Gen.Choose(-3, 3), events.Length)
        select events.Concat(events.Select((e, i) => twins[i] switch
        {
            0 => e with { NoticeId = $"{prefixes[i]:x8}-twin-{uid}-{i}", IsJoin = !e.IsJoin, Reason = e.IsJoin ? 10 : null },
            1 => e with { NoticeId = $"{prefixes[i]:x8}-twin-{uid}-{i}", TsSeconds = e.TsSeconds + Math.Abs(shifts[i]) },
            2 => e with { ClientSeq = e.ClientSeq + shifts[i] },
            3 => e with { TsSeconds = e.TsSeconds + Math.Abs(shifts[i]), IsJoin = !e.IsJoin },
            _ => null,
        }).OfType<ObservedEvent>()).ToArray();

    public static Gen<ObservedScenario> Scenarios(Func<uint, Gen<ObservedEvent[]>> stream) =>
        from host in Gen.Elements(Hosts)
        from guest in Gen.Elements(Guests)
        from hostStream in stream(host)
        from guestStream in stream(guest)
        from strangerCount in Gen.Choose(0, 3)
        from others in Gen.CollectToArray(Strangers.Take(strangerCount), stream)
        select new ObservedScenario(host, guest, hostStream, guestStream, [.. others]);

    /// <summary>
    /// Every event arrives at least once; some are re-sent under the same notice id, some under a new
    /// one (random, so it sorts before or after the original). Then everything is shuffled.
    /// </summary>
    /// <remarks>
    /// With <paramref name="newNoticeIds"/> false every copy keeps its notice id: a new id for one of
    /// two contradicting copies is new evidence, and may rightly change which copy wins.
    /// </remarks>
    public static Gen<Delivery> Deliveries(Gen<ObservedScenario> scenarios, bool newNoticeIds = true) =>
        from scenario in scenarios
        let ordered = scenario.Ordered
        from resends in Gen.ArrayOf(newNoticeIds ? Resends : SameIdResends, ordered.Length)
        from arrivals in Gen.Shuffle(Expand(ordered, resends))
        select new Delivery(scenario, arrivals);

    /// <summary>Each element re-sends once: null under the same notice id, else under a new id with this prefix.</summary>
    private static readonly Gen<int?[]> Resends = Gen.Frequency(
        (3, Gen.Constant(Array.Empty<int?>())),
        (2,
            from k in Gen.Choose(1, 3)
            from copies in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant<int?>(null)), (1, Gen.Choose(0, int.MaxValue).Select(r => (int?)r))), k)
            select copies));

    private static readonly Gen<int?[]> SameIdResends = Gen.Frequency(
        (3, Gen.Constant(Array.Empty<int?>())),
        (2, Gen.Choose(1, 3).Select(k => new int?[k])));

    private static ObservedEvent[] Expand(ObservedEvent[] ordered, int?[][] resends)
    {
        var all = new List<ObservedEvent>(ordered);
        for (var i = 0; i < ordered.Length; i++)
        {
            for (var j = 0; j < resends[i].Length; j++)
            {
                all.Add(resends[i][j] is { } prefix ? ordered[i] with { NoticeId = $"{prefix:x8}-resent-{i}-{j}" } : ordered[i]);
            }
        }
        return [.. all];
    }

    private static ObservedEvent[] Build(uint uid, int seq0, int ts0, int[] seqSteps, int[] tsSteps, int?[] reasons, int[] ids, Func<int, bool> isJoin)
    {
        var events = new ObservedEvent[seqSteps.Length];
        var seq = Seq0 + seq0;
        var ts = T0 + ts0;
        for (var i = 0; i < events.Length; i++)
        {
            seq += seqSteps[i];
            ts += tsSteps.Length > 0 ? tsSteps[i] : 0;
            var join = isJoin(i);
            events[i] = new ObservedEvent($"{ids[i]:x8}-{uid}-{i}", uid, seq, ts, join, join ? null : reasons[i]);
        }
        return events;
    }

    /// <summary>
    /// The intervals a well-formed stream stands for, straight from the rule: each event at
    /// max(ts * 1000, previous + 1), each join opening an interval and each leave closing it.
    /// </summary>
    public static List<PresenceInterval> IntervalsOf(ObservedEvent[] wellFormed)
    {
        var intervals = new List<PresenceInterval>();
        var previous = long.MinValue;
        foreach (var e in wellFormed)
        {
            var at = Math.Max(e.TsSeconds * 1000, previous + 1);
            previous = at;
            if (e.IsJoin)
            {
                intervals.Add(new PresenceInterval(at, null));
            }
            else
            {
                intervals[^1] = intervals[^1] with { ToMs = at };
            }
        }
        return intervals;
    }
}
