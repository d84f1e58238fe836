using SessionVoice.Api.Settlement;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Dapr;

/// <summary>
/// Dapr mode's safety net, run by the cron binding: read new escrow logs and hand every booking to
/// its actor (tracking is idempotent, so replicas repeating it is harmless); reminders do the rest.
/// </summary>
public sealed class DaprSweep(SettlementCounters counters, EscrowWatcher? watcher = null) : ISweep
{
    public async Task<SweepSummary> SweepAsync(CancellationToken ct)
    {
        var watch = watcher is null ? null : await watcher.PollAsync(maxPages: 1000, ct);
        return new SweepSummary(0, 0, 0, watch, 0, 0, counters.Mined, counters.WindowMissed, counters.Failed);
    }
}
