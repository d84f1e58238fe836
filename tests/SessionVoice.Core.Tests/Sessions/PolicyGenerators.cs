using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Core.Tests.Sessions;

/// <summary>
/// Generators for the policy properties: slots within the contract's constraints, parameters
/// (mostly the defaults, sometimes odd ones with fractions of a second), presence logs in three
/// styles (well-formed intervals, attendance around the session, raw unpaired events) from both
/// sources, and times biased towards the rule boundaries where off-by-one errors live.
/// </summary>
internal static class PolicyGenerators
{
    private static readonly BookingStatus[] NotBooked =
        [BookingStatus.None, BookingStatus.Cancelled, BookingStatus.Attested, BookingStatus.Disputed, BookingStatus.Resolved, BookingStatus.Finalized];

    public static Gen<SlotShape> Slots(int maxDurationMins = 240, int maxGraceMins = 600) =>
        from duration in Gen.Frequency((3, Gen.Choose(1, Math.Min(10, maxDurationMins))), (2, Gen.Choose(1, maxDurationMins)))
        from grace in Gen.Frequency((2, Gen.Choose(0, Math.Min(5, maxGraceMins))), (2, Gen.Choose(0, Math.Min(90, maxGraceMins))), (1, Gen.Choose(0, maxGraceMins)))
        from overlap in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Constant(duration)), (3, Gen.Choose(0, duration)))
        from start in Gen.Frequency((1, Gen.Constant(1_700_000_000)), (1, Gen.Choose(1_600_000_000, 2_000_000_000)))
        select new SlotShape(start, (uint)duration, (uint)grace, (uint)overlap);

    public static Gen<PolicyParameters> Parameters { get; } = Gen.Frequency(
        (3, Gen.Constant(PolicyParameters.Default)),
        (2,
            from settle in Gen.Choose(0, 120_000)
            from margin in Gen.Choose(0, 600_000)
            from early in Gen.Choose(0, 900_000)
            select new PolicyParameters(TimeSpan.FromMilliseconds(settle), TimeSpan.FromMilliseconds(margin), TimeSpan.FromMilliseconds(early))));

    /// <summary>Event times in unix ms from S − 20 min to max(E, G) + 15 min: uniform, on whole seconds, or near a boundary.</summary>
    public static Gen<long> EventTimes(SlotShape slot)
    {
        var lo = -1_200_000;
        var hi = (int)((Math.Max(slot.D, slot.G - slot.Start) + 900) * 1000);
        return Gen.Frequency(
            (3, Gen.Choose(lo, hi).Select(x => (slot.Start * 1000) + x)),
            (2, Gen.Choose(lo / 1000, hi / 1000).Select(x => (slot.Start + x) * 1000)),
            (2,
                from anchor in Gen.Elements(slot.Start, slot.G, slot.E, slot.Start + slot.O, slot.Start - 300)
                from delta in Gen.Choose(-3000, 3000)
                select (anchor * 1000) + delta));
    }

    private static Gen<PresenceSource> Sources { get; } = Gen.Elements(PresenceSource.Observed, PresenceSource.Claimed);

    public static Gen<PresenceEvent[]> PartyEvents(Party party, SlotShape slot)
    {
        var times = EventTimes(slot);
        var raw =
            from n in Gen.Choose(1, 8)
            from events in Gen.ArrayOf(
                from at in times
                from kind in Gen.Elements(PresenceKind.Join, PresenceKind.Leave)
                from source in Sources
                select new PresenceEvent(party, kind, at, source), n)
            select events;
        var intervals =
            from n in Gen.Choose(1, 3)
            from edges in Gen.ArrayOf(times, 2 * n)
            from open in Gen.Elements(true, false, false)
            from sources in Gen.ArrayOf(Sources, 2 * n)
            select PairUp(party, edges, open, sources);
        var attendance =
            from arrive in Gen.Choose(-400, (int)(slot.G - slot.Start) + 120)
            from arriveMs in Gen.Choose(0, 999)
            from depart in Gen.Choose((int)slot.D - 600, (int)slot.D + 600)
            from open in Gen.Elements(true, false, false)
            from source in Sources
            select Attendance(party, slot, arrive, arriveMs, depart, open, source);
        return Gen.Frequency(
            (1, Gen.Constant(Array.Empty<PresenceEvent>())),
            (2, raw),
            (3, intervals),
            (3, attendance));
    }

    /// <summary>Times of decision: anywhere from S − 15 min to the last window's end + 15 min, or ±2 s around a rule boundary.</summary>
    public static Gen<long> DecisionTimes(SlotShape slot, PolicyParameters parameters)
    {
        // Only to aim the generator at boundaries; the properties never rely on these being right.
        var settle = Math.Min((long)Math.Ceiling(parameters.Settle.TotalSeconds), slot.D / 4);
        var margin = Math.Min((long)Math.Ceiling(parameters.Margin.TotalSeconds), slot.D / 4);
        long[] boundaries =
        [
            slot.Start, slot.Start + slot.O, slot.Start + slot.O + settle, slot.G, slot.G + settle, slot.E, slot.E + settle,
            slot.G + slot.D - margin, slot.G + slot.D, slot.E + 7200 - margin, slot.E + 7200,
        ];
        var last = (int)(Math.Max(slot.G + slot.D, slot.E + 7200) - slot.Start + 900);
        return Gen.Frequency(
            (3, Gen.Choose(-900, last).Select(x => slot.Start + x)),
            (2, from b in Gen.Elements(boundaries) from d in Gen.Choose(-2, 2) select b + d));
    }

    public static Gen<Scenario> Scenarios(Gen<SlotShape> slots) =>
        from slot in slots
        from parameters in Parameters
        from host in PartyEvents(Party.Host, slot)
        from guest in PartyEvents(Party.Guest, slot)
        from now in DecisionTimes(slot, parameters)
        from status in Gen.Frequency((9, Gen.Constant(BookingStatus.Booked)), (1, Gen.Elements(NotBooked)))
        from shuffled in Gen.Shuffle(host.Concat(guest).ToArray())
        from duplicates in Gen.Choose(0, 3)
        from fraction in Gen.Choose(0, 1_000_000)
        select new Scenario(slot, parameters, status, [.. host, .. guest], [.. shuffled, .. shuffled.Take(duplicates)], now, fraction);

    public static Gen<(long From, long? To)[]> IntervalSets(SlotShape slot) =>
        from n in Gen.Choose(0, 3)
        from spans in Gen.ArrayOf(
            from start in EventTimes(slot)
            from length in Gen.Choose(1, 3_600_000)
            from open in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            select (start, open ? null : (long?)(start + length)), n)
        select spans;

    public static Gen<MonotoneScenario> MonotoneScenarios { get; } =
        from slot in Slots()
        from parameters in Parameters
        from host in IntervalSets(slot)
        from guest in IntervalSets(slot)
        from extra in IntervalSets(slot)
        from extraFor in Gen.Elements<Party?>(Party.Host, Party.Guest, null)
        from now in DecisionTimes(slot, parameters)
        select new MonotoneScenario(slot, parameters, host, guest, extra, extraFor, now);

    public static Gen<FullAttendance> FullAttendances(Gen<SlotShape> slots) =>
        from slot in slots
        from parameters in Parameters
        from host in InFull(Party.Host, slot)
        from guest in InFull(Party.Guest, slot)
        from before in Gen.Choose(1, 7200)
        select new FullAttendance(slot, parameters, [.. host, .. guest], slot.Start - before);

    /// <summary>
    /// One party there for the whole session: a join at the latest allowed millisecond, a little or up
    /// to 20 minutes earlier (so sometimes before S − early), and no leave or one at E or up to 20
    /// minutes after it.
    /// </summary>
    private static Gen<PresenceEvent[]> InFull(Party party, SlotShape slot)
    {
        var latestJoinMs = (slot.Start * 1000) - (slot.G > slot.Start ? 0 : 1);
        var joins =
            from early in Gen.Frequency((2, Gen.Constant(0)), (2, Gen.Choose(0, 3000)), (3, Gen.Choose(0, 1_200_000)))
            from source in Sources
            select new PresenceEvent(party, PresenceKind.Join, latestJoinMs - early, source);
        var leaves =
            from late in Gen.Frequency((2, Gen.Constant(0)), (2, Gen.Choose(0, 3000)), (2, Gen.Choose(0, 1_200_000)))
            from source in Sources
            select new PresenceEvent(party, PresenceKind.Leave, (slot.E * 1000) + late, source);
        return Gen.Frequency(
            (1, joins.Select(j => new[] { j })),
            (2, from j in joins from l in leaves select new[] { j, l }));
    }

    /// <summary>
    /// The union of intervals as well-formed events: merged where they overlap or touch (so no leave and
    /// join share a millisecond), a join at each start, a leave at each end unless still in.
    /// </summary>
    public static IEnumerable<PresenceEvent> EventsOf(Party party, IEnumerable<(long From, long? To)> spans)
    {
        var merged = new List<(long From, long To)>();
        foreach (var (from, to) in spans.Select(s => (s.From, To: s.To ?? long.MaxValue)).OrderBy(s => s.From))
        {
            if (merged.Count > 0 && from <= merged[^1].To)
            {
                merged[^1] = (merged[^1].From, Math.Max(merged[^1].To, to));
            }
            else
            {
                merged.Add((from, to));
            }
        }
        foreach (var (from, to) in merged)
        {
            // Sources alternate so both kinds of evidence are always in play.
            var source = (from & 1) == 0 ? PresenceSource.Observed : PresenceSource.Claimed;
            yield return new PresenceEvent(party, PresenceKind.Join, from, source);
            if (to != long.MaxValue)
            {
                yield return new PresenceEvent(party, PresenceKind.Leave, to, source);
            }
        }
    }

    public static string Describe(SlotShape slot, IEnumerable<PresenceEvent> events)
    {
        var text = new StringBuilder();
        foreach (var e in events)
        {
            text.Append(CultureInfo.InvariantCulture, $"{e.Party} {e.Kind} S{e.AtMs - slot.Start * 1000:+#;-#;+0}ms {e.Source}; ");
        }
        return text.ToString();
    }

    private static PresenceEvent[] PairUp(Party party, long[] edges, bool open, PresenceSource[] sources)
    {
        Array.Sort(edges);
        var events = new List<PresenceEvent>();
        for (var i = 0; i < edges.Length; i++)
        {
            var kind = i % 2 == 0 ? PresenceKind.Join : PresenceKind.Leave;
            if (!(open && i == edges.Length - 1))
            {
                events.Add(new PresenceEvent(party, kind, edges[i], sources[i]));
            }
        }
        return [.. events];
    }

    private static PresenceEvent[] Attendance(Party party, SlotShape slot, int joinSeconds, int joinMs, int leaveSeconds, bool open, PresenceSource source)
    {
        var join = new PresenceEvent(party, PresenceKind.Join, ((slot.Start + joinSeconds) * 1000) + joinMs, source);
        var leaveAt = (slot.Start + leaveSeconds) * 1000;
        return open || leaveAt <= join.AtMs ? [join] : [join, new PresenceEvent(party, PresenceKind.Leave, leaveAt, source)];
    }
}
