using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Watching;

namespace SessionVoice.Api.Settlement;

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

public sealed class StandaloneTracker(SqliteSettlementStore store, TimeProvider time) : IBookingTracker
{
    public Task TrackAsync(BookingId id, CancellationToken ct)
    {
        store.Track(id, time.GetUtcNow().ToUnixTimeSeconds());
        return Task.CompletedTask;
    }

    public Task WakeAsync(BookingId id, CancellationToken ct)
    {
        store.Wake(id, time.GetUtcNow().ToUnixTimeSeconds());
        return Task.CompletedTask;
    }
}

public sealed class StandaloneObservedSink(SqliteObservedStore store) : IObservedSink
{
    public Task<bool> IngestAsync(BookingId id, ObservedEvent e, long receivedAtMs, CancellationToken ct) => store.IngestAsync(id, e, receivedAtMs);
}
