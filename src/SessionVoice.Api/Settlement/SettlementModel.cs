using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Settlement;

public enum AttestationStatus
{
    /// <summary>Decided and committed to; the transaction may be in flight.</summary>
    Pending,
    Mined,
    /// <summary>The chain already had an outcome (another attester, a cancellation, a claim): no transaction of ours.</summary>
    Settled,
    WindowMissed,
    Failed,
}

/// <summary>What this service decided for a booking, with the preimage anyone can re-hash.</summary>
public sealed record StoredAttestation(
    BookingId BookingId,
    Outcome Outcome,
    byte Source,
    byte[] Preimage,
    Hash32 MetricsHash,
    Hash32? TxHash,
    AttestationStatus Status,
    string? Detail,
    long CreatedAtUnix,
    long UpdatedAtUnix);

/// <summary>A booking the service keeps deciding until it is settled; <c>DueAt</c> null once finished.</summary>
public sealed record TrackedBooking(BookingId BookingId, long? DueAtUnix, string LastDecision);

public static class OutcomeNames
{
    public static string ToApi(Outcome outcome) => outcome switch
    {
        Outcome.Completed => "completed",
        Outcome.NoShowHost => "no-show-host",
        Outcome.NoShowGuest => "no-show-guest",
        _ => "none",
    };

    public static bool TryParse(string? text, out Outcome outcome)
    {
        outcome = text switch
        {
            "completed" => Outcome.Completed,
            "no-show-host" => Outcome.NoShowHost,
            "no-show-guest" => Outcome.NoShowGuest,
            _ => Outcome.None,
        };
        return outcome != Outcome.None;
    }
}
