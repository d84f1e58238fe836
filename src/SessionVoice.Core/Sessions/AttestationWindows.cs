using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>
/// When SessionEscrowV1 accepts each outcome of <c>attest</c>, compared with <c>block.timestamp</c>
/// (escrow-and-attestation.md, "What the contract accepts"). Exactly the contract's rules, without the
/// policy's settle and margin: the policy works inside these windows, this type says where they are.
/// All values are unix seconds or seconds.
/// </summary>
public sealed record AttestationWindows
{
    /// <summary>The contract takes a completed attestation until two hours after the end (<c>TOO_LATE</c>).</summary>
    public const long CompletedGraceSeconds = 7200;

    private AttestationWindows(long s, long d, long g, long o)
    {
        S = s;
        D = d;
        G = g;
        O = o;
    }

    public static AttestationWindows For(Slot slot) =>
        new(slot.StartTime, slot.DurationSeconds, slot.GraceEnd, slot.MinOverlapSeconds);

    /// <summary>S: the slot's start time (unix seconds).</summary>
    public long S { get; }

    /// <summary>D: the duration, durationMins · 60 (seconds).</summary>
    public long D { get; }

    /// <summary>E = S + D: the end (unix seconds).</summary>
    public long E => S + D;

    /// <summary>G = S + graceMins · 60: the end of the grace period (unix seconds). May lie after E.</summary>
    public long G { get; }

    /// <summary>O = minOverlapMins · 60: the overlap the contract waits for before a completion (seconds, a length).</summary>
    public long O { get; }

    /// <summary>First second a no-show is accepted (before it: <c>GRACE_NOT_OVER</c>).</summary>
    public long NoShowOpens => G;

    /// <summary>Last second a no-show is accepted (after it: <c>NO_SHOW_TOO_LATE</c>).</summary>
    public long NoShowCloses => G + D;

    /// <summary>First second a completion is accepted (before it: <c>OVERLAP_NOT_MET</c>).</summary>
    public long CompletedOpens => S + O;

    /// <summary>Last second a completion is accepted (after it: <c>TOO_LATE</c>).</summary>
    public long CompletedCloses => E + CompletedGraceSeconds;

    /// <summary>
    /// Whether <c>attest(…, outcome, …)</c> passes the contract's timing checks in a block with this
    /// timestamp. Outcomes other than 1–3 are refused outright (<c>BAD_OUTCOME</c>).
    /// </summary>
    public bool Accepts(Outcome outcome, long blockTimestamp) => outcome switch
    {
        Outcome.NoShowHost or Outcome.NoShowGuest => NoShowOpens <= blockTimestamp && blockTimestamp <= NoShowCloses,
        Outcome.Completed => CompletedOpens <= blockTimestamp && blockTimestamp <= CompletedCloses,
        _ => false,
    };
}
