using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Core.Tests.Sessions;

/// <summary>A slot as the contract allows it: 0 &lt; duration ≤ 240, overlap ≤ duration, any grace.</summary>
public sealed record SlotShape(long Start, uint DurationMins, uint GraceMins, uint MinOverlapMins)
{
    public long D => DurationMins * 60L;

    public long E => Start + D;

    public long G => Start + GraceMins * 60L;

    public long O => MinOverlapMins * 60L;

    public BookingSnapshot Booking(BookingStatus status = BookingStatus.Booked) =>
        SessionFixture.Booking(DurationMins, GraceMins, MinOverlapMins, Start, status);

    public override string ToString() => $"S={Start} D={DurationMins}m grace={GraceMins}m O={MinOverlapMins}m";
}

/// <summary>One generated input to the policy. <see cref="Fraction"/> picks a point inside a wait (per million).</summary>
public sealed record Scenario(
    SlotShape Slot,
    PolicyParameters Parameters,
    BookingStatus Status,
    PresenceEvent[] Events,
    PresenceEvent[] Reordered,
    long Now,
    int Fraction)
{
    public BookingSnapshot Booking => Slot.Booking(Status);

    public Decision Decide(long at) => OutcomePolicy.Decide(Booking, Events, at, Parameters);

    public override string ToString() =>
        $"{Slot} settle={Parameters.Settle.TotalMilliseconds}ms margin={Parameters.Margin.TotalMilliseconds}ms early={Parameters.Early.TotalMilliseconds}ms " +
        $"status={Status} now=S{Now - Slot.Start:+#;-#;+0} fraction={Fraction} events=[{PolicyGenerators.Describe(Slot, Events)}]";
}

/// <summary>Presence as sets of intervals per party (To null = still in), for the monotonicity property.</summary>
public sealed record MonotoneScenario(
    SlotShape Slot,
    PolicyParameters Parameters,
    (long From, long? To)[] Host,
    (long From, long? To)[] Guest,
    (long From, long? To)[] Extra,
    Party? ExtraFor,
    long Now)
{
    public override string ToString() =>
        $"{Slot} settle={Parameters.Settle.TotalMilliseconds}ms margin={Parameters.Margin.TotalMilliseconds}ms early={Parameters.Early.TotalMilliseconds}ms " +
        $"now=S{Now - Slot.Start:+#;-#;+0} host=[{Spans(Host)}] guest=[{Spans(Guest)}] extra for {ExtraFor?.ToString() ?? "both"}=[{Spans(Extra)}]";

    private string Spans((long From, long? To)[] spans) =>
        string.Join(",", spans.Select(s => $"S{s.From - Slot.Start * 1000:+#;-#;+0}ms..{(s.To is { } to ? $"S{to - Slot.Start * 1000:+#;-#;+0}ms" : "open")}"));
}

/// <summary>
/// Both parties in the call from the start to the end: joined at or before S (before S when there is
/// no grace, since a join stamped exactly at G is late), never left or left at or after E. The policy
/// is asked first at <see cref="From"/>, before S.
/// </summary>
public sealed record FullAttendance(SlotShape Slot, PolicyParameters Parameters, PresenceEvent[] Events, long From)
{
    public override string ToString() =>
        $"{Slot} settle={Parameters.Settle.TotalMilliseconds}ms margin={Parameters.Margin.TotalMilliseconds}ms early={Parameters.Early.TotalMilliseconds}ms " +
        $"from=S{From - Slot.Start:+#;-#;+0} events=[{PolicyGenerators.Describe(Slot, Events)}]";
}
