using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Standalone;

/// <summary>A booking the service keeps deciding until it is settled; <c>DueAt</c> null once finished.</summary>
public sealed record TrackedBooking(BookingId BookingId, long? DueAtUnix, string LastDecision);

/// <summary>
/// Tracked bookings never decided yet, waiting for a wake-up, and finished; recorded decisions by status
/// (every <see cref="Decision.Attest"/> and <see cref="Decision.WindowMissed"/> has one).
/// </summary>
public sealed record SettlementProgress(int Undecided, int Waiting, int Finished, IReadOnlyDictionary<AttestationStatus, int> Attestations)
{
    public int Tracked => Undecided + Waiting + Finished;

    public int Decided => Attestations.Values.Sum();

    public int this[AttestationStatus status] => Attestations.TryGetValue(status, out var n) ? n : 0;
}
