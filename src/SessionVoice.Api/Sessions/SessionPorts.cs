using SessionVoice.Core.Escrow;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Watching;

namespace SessionVoice.Api.Sessions;

/// <summary>What one sweep found and did: due, evaluated, failed; the watcher's pass; tracking and finished counts; attestation totals.</summary>
public sealed record SweepSummary(int Due, int Evaluated, int Errors, WatchResult? Watch, int Tracking, int Finished, long Mined, long WindowMissed, long Failed);

/// <summary>Where Agora's observed events go: the standalone tables or the booking actor.</summary>
public interface IObservedSink
{
    /// <summary>Stores the event unless its notice or (uid, clientSeq) is known; true when stored.</summary>
    Task<bool> IngestAsync(BookingId id, ObservedEvent e, long receivedAtMs, CancellationToken ct);
}

/// <summary>The safety-net sweep behind the cron binding's route.</summary>
public interface ISweep
{
    Task<SweepSummary> SweepAsync(CancellationToken ct);
}
