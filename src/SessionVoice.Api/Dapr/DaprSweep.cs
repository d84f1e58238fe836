using Dapr.Actors;
using Dapr.Actors.Client;
using SessionVoice.Actors;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Api.Configuration;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;
using SessionVoice.Api.Sessions;

namespace SessionVoice.Api.Dapr;

/// <summary>
/// Dapr mode's safety net, run by the cron binding on every replica: ask the cluster's one watcher actor to read
/// new escrow logs and re-track unfinished bookings (its turn serialises the replicas' sweeps, so a later one
/// reads nothing new), and let the oracle actor resume transactions persisted before a restart; reminders do the rest.
/// </summary>
public sealed class DaprSweep(SettlementCounters counters, ServiceSettings settings, IActorProxyFactory proxies) : ISweep
{
    public const string WatcherActorType = nameof(WatcherActor);

    /// <summary>Turns asked of the watcher per sweep at most (each at most <see cref="WatcherActor.MaxPagesPerTurn"/> pages).</summary>
    public const int MaxWatcherTurns = 50;

    public async Task<SweepSummary> SweepAsync(CancellationToken ct)
    {
        WatchResult? watch = null;
        if (!settings.MockEscrow && settings.EscrowAddress is { } escrow)
        {
            var watcher = proxies.CreateActorProxy<IWatcherActor>(new ActorId(escrow.ToString()), WatcherActorType);
            int pages = 0, booked = 0, cancelled = 0, attested = 0;
            ulong rewound = 0;
            for (var turn = 0; turn < MaxWatcherTurns && !ct.IsCancellationRequested; turn++)
            {
                // Short turns: another replica's sweep, or a booking's own calls, get the actor in between.
                var result = await watcher.PollAsync(WatcherActor.MaxPagesPerTurn);
                (pages, booked, cancelled, attested, rewound) = (pages + result.Pages, booked + result.Booked, cancelled + result.Cancelled, attested + result.Attested, rewound + result.Rewound);
                watch = new WatchResult(pages, booked, cancelled, attested, result.NextBlock, rewound);
                if (result.CaughtUp)
                {
                    break;
                }
            }
        }
        var resumed = 0;
        if (settings.Oracle is { } oracle && !settings.MockEscrow)
        {
            resumed = await proxies.CreateActorProxy<IOracleActor>(new ActorId(oracle.Address.ToString()), OracleActorSender.ActorType).ResumeAsync();
        }
        return new SweepSummary(0, resumed, 0, watch, 0, 0, counters.Mined, counters.WindowMissed, counters.Failed);
    }
}
