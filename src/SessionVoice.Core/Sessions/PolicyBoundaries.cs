using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>
/// The fixed times of one booking's decision (escrow-and-attestation.md, "The decision"): the
/// contract's windows narrowed by settle and margin. Rule boundaries are unix seconds, presence
/// limits unix milliseconds.
/// </summary>
internal sealed class PolicyBoundaries
{
    public PolicyBoundaries(Slot slot, PolicyParameters parameters)
    {
        Windows = AttestationWindows.For(slot);
        SettleSeconds = parameters.SettleSecondsFor(Windows.D);
        MarginSeconds = parameters.MarginSecondsFor(Windows.D);
        PresenceFromMs = checked((Windows.S * 1000) - parameters.EarlyMs);
        SessionFromMs = checked(Windows.S * 1000);
        SessionToMs = checked(Windows.E * 1000);
        GraceEndMs = checked(Windows.G * 1000);
        // Spec: threshold = max(O, 1 s), so a zero minimum overlap still needs the two to have met.
        ThresholdMs = checked(Math.Max(Windows.O, 1) * 1000);
    }

    public AttestationWindows Windows { get; }

    public long SettleSeconds { get; }

    public long MarginSeconds { get; }

    /// <summary>S − early: presence counts from here.</summary>
    public long PresenceFromMs { get; }

    public long SessionFromMs { get; }

    /// <summary>E: presence is never counted past the end.</summary>
    public long SessionToMs { get; }

    /// <summary>G: "seen" means presence in [S − early, G).</summary>
    public long GraceEndMs { get; }

    public long ThresholdMs { get; }

    /// <summary>Rule 3: no no-show is judged before G + settle, so a join just before G has time to arrive.</summary>
    public long RulingFrom => Windows.G + SettleSeconds;

    /// <summary>Dl = G + D − margin: the last second a no-show is sent (rules 4 and 5).</summary>
    public long NoShowDeadline => Windows.NoShowCloses - MarginSeconds;

    /// <summary>Rule 4, both seen: the overlap is judged short at min(E + settle, Dl).</summary>
    public long ShortOverlapRuling => Math.Min(Windows.E + SettleSeconds, NoShowDeadline);

    /// <summary>Rule 2: the last second a completion is sent, E + 7200 − margin.</summary>
    public long CompletedDeadline => Windows.CompletedCloses - MarginSeconds;

    /// <summary>t − settle: presence is only trusted up to here at time t.</summary>
    public long CutoffMs(long nowUnixSeconds) => checked((nowUnixSeconds - SettleSeconds) * 1000);

    /// <summary>The first second t whose cutoff t − settle has reached <paramref name="ms"/>.</summary>
    public long FirstSecondTrusting(long ms) => checked(CeilingDiv(ms, 1000) + SettleSeconds);

    private static long CeilingDiv(long value, long divisor)
    {
        var quotient = Math.DivRem(value, divisor, out var remainder);
        return remainder > 0 ? quotient + 1 : quotient;
    }
}
