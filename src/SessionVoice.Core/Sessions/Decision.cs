using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Sessions;

/// <summary>What <see cref="OutcomePolicy.Decide"/> says to do with a booking at one moment.</summary>
public abstract record Decision
{
    private Decision()
    {
    }

    /// <summary>Nothing to do before this unix second unless new presence arrives: the next wake-up.</summary>
    public sealed record Wait(long UntilUnixSeconds) : Decision;

    /// <summary>Send <c>attest</c> with this outcome now; the contract accepts it at this time.</summary>
    public sealed record Attest(Outcome Outcome) : Decision;

    /// <summary>The booking is no longer <c>Booked</c> on chain (rule 1): cancelled, attested or settled.</summary>
    public sealed record Done(BookingStatus OnChainStatus) : Decision;

    /// <summary>
    /// The outcome was decided too late to be mined inside its window (rules 2 and 5): terminal, no
    /// transaction; the contract's <c>claimIfUnattested</c> refunds the guest.
    /// </summary>
    public sealed record WindowMissed(Outcome Outcome) : Decision;
}
