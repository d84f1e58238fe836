using SessionVoice.Core.Escrow;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Api.Sessions;

namespace SessionVoice.Api.Standalone;

/// <summary>Standalone tracking: the watcher's and joins' wake-ups go to the SQLite schedule.</summary>
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
