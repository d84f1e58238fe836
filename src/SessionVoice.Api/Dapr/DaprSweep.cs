using Dapr.Actors;
using Dapr.Actors.Client;
using SessionVoice.Actors;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Settlement;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Dapr;

/// <summary>
/// Dapr mode's safety net, run by the cron binding: read new escrow logs and hand every booking to
/// its actor (tracking is idempotent, so replicas repeating it is harmless), and let the oracle actor
/// resume transactions persisted before a restart; reminders do the rest.
/// </summary>
public sealed class DaprSweep(SettlementCounters counters, ServiceSettings settings, IActorProxyFactory proxies, EscrowWatcher? watcher = null) : ISweep
{
    public async Task<SweepSummary> SweepAsync(CancellationToken ct)
    {
        var watch = watcher is null ? null : await watcher.PollAsync(maxPages: 1000, ct);
        var resumed = 0;
        if (settings.Oracle is { } oracle && !settings.MockEscrow)
        {
            resumed = await proxies.CreateActorProxy<IOracleActor>(new ActorId(oracle.Address.ToString()), OracleActorSender.ActorType).ResumeAsync();
        }
        return new SweepSummary(0, resumed, 0, watch, 0, 0, counters.Mined, counters.WindowMissed, counters.Failed);
    }
}
