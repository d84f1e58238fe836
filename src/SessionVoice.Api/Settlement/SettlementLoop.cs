using SessionVoice.Core.Sessions;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Sessions;
using SessionVoice.Api.Standalone;

namespace SessionVoice.Api.Settlement;

public sealed record SweepSummary(int Due, int Evaluated, int Errors, WatchResult? Watch, int Tracking, int Finished, long Mined, long WindowMissed, long Failed);

/// <summary>
/// Standalone scheduling: every tick, the bookings whose persisted wake-up time has come are
/// decided; every few seconds the watcher reads new escrow logs. The sweep endpoint runs both at once.
/// </summary>
public sealed class SettlementLoop(
    StandaloneBookingSessions sessions,
    SqliteSettlementStore store,
    SettlementCounters counters,
    ServiceSettings settings,
    TimeProvider time,
    ILogger<SettlementLoop> logger,
    EscrowWatcher? watcher = null) : BackgroundService, ISweep
{
    private const int BatchSize = 200;

    public async Task<SweepSummary> SweepAsync(CancellationToken ct)
    {
        var watch = watcher is null ? null : await watcher.PollAsync(maxPages: 1000, ct);
        var (due, evaluated, errors) = await EvaluateDueAsync(ct);
        var (tracking, finished) = store.CountTracked();
        return new SweepSummary(due, evaluated, errors, watch, tracking, finished, counters.Mined, counters.WindowMissed, counters.Failed);
    }

    private async Task<(int Due, int Evaluated, int Errors)> EvaluateDueAsync(CancellationToken ct)
    {
        var due = store.Due(time.GetUtcNow().ToUnixTimeSeconds(), BatchSize);
        var evaluated = 0;
        var errors = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (id, token) =>
        {
            try
            {
                await sessions.EvaluateAsync(id, token);
                Interlocked.Increment(ref evaluated);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref errors);
                var now = time.GetUtcNow().ToUnixTimeSeconds();
                store.Schedule(id, now + 30, "evaluation failed; retrying", now);
                logger.LogError(e, "Evaluating {BookingId} failed", id);
            }
        });
        return (due.Count, evaluated, errors);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextWatch = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.SchedulerIntervalMs));
        do
        {
            try
            {
                if (watcher is not null && DateTimeOffset.UtcNow >= nextWatch)
                {
                    await watcher.PollAsync(maxPages: 50, stoppingToken);
                    nextWatch = DateTimeOffset.UtcNow.AddSeconds(settings.WatchIntervalSeconds);
                }
                await EvaluateDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Settlement tick failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
