using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Api.Settlement;

/// <summary>Presence changed: track the booking and make it due now (the loop decides it next tick).</summary>
public sealed class SettlementWaker(SqliteSettlementStore store, TimeProvider time)
{
    public void Wake(BookingId id)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        store.Track(id, now);
        store.Wake(id, now);
    }
}
