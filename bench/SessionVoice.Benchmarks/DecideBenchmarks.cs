using BenchmarkDotNet.Attributes;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Benchmarks;

/// <summary>When in the booking's life <see cref="DecideBenchmarks"/> asks.</summary>
public enum DecideAt
{
    /// <summary>S + 2 min: inside grace, rule 3 answers Wait.</summary>
    BeforeGrace,

    /// <summary>S + 20 min: the 10 min overlap is met, rule 2 answers Attest(Completed).</summary>
    MidSession,

    /// <summary>E + 5 min: after the session, rule 2 answers Attest(Completed).</summary>
    AfterCompletion,
}

/// <summary>
/// <see cref="OutcomePolicy.Decide"/> (goal: ≤ 5 µs) for a 30 min booking with 5 min grace and 10 min
/// minimum overlap, default parameters, with 4 presence events (one join/leave each) or 40 (each
/// party reconnecting ten times, events shuffled as webhooks arrive).
/// </summary>
[MemoryDiagnoser]
public class DecideBenchmarks
{
    private const long S = 1_700_000_000;
    private const long E = S + (30 * 60);

    private static readonly BookingSnapshot Booking = new(
        new Slot(7, Address.Parse("0x1111111111111111111111111111111111111111"), S, 30, new Wei(1000), 5, 10, 60, SlotStatus.Booked),
        new Booking(new BookingId(42), 7, Address.Parse("0x2222222222222222222222222222222222222222"), new Wei(1000),
            BookingStatus.Booked, Outcome.None, Hash32.Zero, 0, 0, Address.Zero, new Wei(0), 0));

    private PresenceEvent[] _events = [];
    private long _now;

    [Params(4, 40)]
    public int Events { get; set; }

    [Params(DecideAt.BeforeGrace, DecideAt.MidSession, DecideAt.AfterCompletion)]
    public DecideAt At { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _events = Events == 4 ? Simple() : Reconnecting(Events / 4);
        _now = At switch
        {
            DecideAt.BeforeGrace => S + 120,
            DecideAt.MidSession => S + (20 * 60),
            _ => E + 300,
        };
        var decision = Decide();
        var expected = At == DecideAt.BeforeGrace ? decision is Decision.Wait : decision == new Decision.Attest(Outcome.Completed);
        Fixtures.Check(expected, $"{Events} events at {At}: got {decision}");
    }

    [Benchmark]
    public Decision Decide() => OutcomePolicy.Decide(Booking, _events, _now, PolicyParameters.Default);

    private static PresenceEvent[] Simple() =>
    [
        new(Party.Host, PresenceKind.Join, (S - 60) * 1000, PresenceSource.Observed),
        new(Party.Guest, PresenceKind.Join, (S + 45) * 1000, PresenceSource.Observed),
        new(Party.Guest, PresenceKind.Leave, (E - 30) * 1000, PresenceSource.Observed),
        new(Party.Host, PresenceKind.Leave, E * 1000, PresenceSource.Observed),
    ];

    // Each party joins `sessions` times, dropping for 20 s between stretches; host and guest drops are staggered.
    private static PresenceEvent[] Reconnecting(int sessions)
    {
        var events = new List<PresenceEvent>();
        var stretch = (E - S) / sessions;
        for (var i = 0; i < sessions; i++)
        {
            foreach (var (party, offset) in new[] { (Party.Host, -30L), (Party.Guest, 40L) })
            {
                var from = S + (i * stretch) + offset;
                events.Add(new(party, PresenceKind.Join, from * 1000, PresenceSource.Observed));
                events.Add(new(party, PresenceKind.Leave, (from + stretch - 20) * 1000, PresenceSource.Claimed));
            }
        }
        var shuffled = events.ToArray();
        new Random(3).Shuffle(shuffled);
        return shuffled;
    }
}
