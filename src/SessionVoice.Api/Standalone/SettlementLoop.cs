using System.Collections.Concurrent;
using System.Diagnostics;
using SessionVoice.Core.Sessions;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Standalone scheduling: every tick, the bookings whose persisted wake-up time has come are
/// decided; every few seconds the watcher reads new escrow logs. The sweep endpoint runs both at once. A tick also
/// starts the pruning of old webhook notice ids when it is due (<see cref="WebhookNoticePruning"/>).
/// </summary>
/// <remarks>
/// Due bookings are taken in passes of <see cref="PassSize"/>, each read from the chain in one JSON-RPC batch,
/// and each booking's evaluation then runs on its own: a tick starts evaluations and does not wait for their
/// attestations to be mined. Waiting for them held every booking behind a batch's slowest block: when a
/// hundred no-shows fell due in the same second on a chain with 12 s blocks, the later half were decided after
/// their window (docs: escrow-and-attestation.md, rule 5). A booking being evaluated is not started again until
/// its evaluation ends; the oracle key's lane limits how many transactions are prepared at once.
/// </remarks>
public sealed class SettlementLoop(
    StandaloneBookingSessions sessions,
    SqliteSettlementStore store,
    IBookingDirectory bookings,
    SettlementCounters counters,
    ServiceSettings settings,
    TimeProvider time,
    ILogger<SettlementLoop> logger,
    WebhookNoticePruning pruning,
    EscrowWatcher? watcher = null) : BackgroundService, ISweep
{
    /// <summary>Due bookings taken per pass; the chain is read for all of them in one JSON-RPC batch (and one for their uncached slots).</summary>
    private const int PassSize = 500;

    /// <summary>Evaluations running at once, at most: past it, due bookings wait for the next tick.</summary>
    private const int MaxEvaluating = 20_000;

    /// <summary>Evaluations at once when a pass could not be read in one batch (the loop's parallelism before batching).</summary>
    private const int UnbatchedParallelism = 8;

    /// <summary>How long one tick keeps starting passes while they come back full, before the watcher's next turn.</summary>
    private static readonly TimeSpan DrainBudget = TimeSpan.FromSeconds(5);

    /// <summary>Holds a booking's place while its evaluation is being started.</summary>
    private static readonly Task<bool> Starting = Task.FromResult(true);

    private readonly ConcurrentDictionary<BookingId, Task<bool>> _evaluating = new();

    /// <summary>Failed evaluations in a row, per booking: how soon it is tried again.</summary>
    private readonly ConcurrentDictionary<BookingId, int> _failures = new();

    /// <summary>Bookings whose wake gap is above one second (the store resets every gap when it opens).</summary>
    private readonly ConcurrentDictionary<BookingId, int> _wakeGaps = new();

    public async Task<SweepSummary> SweepAsync(CancellationToken ct)
    {
        var watch = watcher is null ? null : await watcher.PollAsync(maxPages: 1000, ct);
        var started = await StartDueAsync(ct);
        var results = await Task.WhenAll(started);
        var evaluated = results.Count(ok => ok);
        var (tracking, finished) = store.CountTracked();
        return new SweepSummary(started.Count, evaluated, started.Count - evaluated, watch, tracking, finished, counters.Mined, counters.WindowMissed, counters.Failed);
    }

    /// <summary>Starts an evaluation of every due booking not being evaluated yet; the tasks say whether each ended without an error.</summary>
    private async Task<List<Task<bool>>> StartDueAsync(CancellationToken ct)
    {
        var clock = Stopwatch.GetTimestamp();
        var started = new List<Task<bool>>();
        while (_evaluating.Count < MaxEvaluating)
        {
            // Bookings being evaluated are still due until their evaluation reschedules them: look past them.
            var busy = _evaluating.Count;
            var pass = store.Due(time.GetUtcNow().ToUnixTimeSeconds(), PassSize + busy)
                .Where(id => !_evaluating.ContainsKey(id))
                .Take(Math.Min(PassSize, MaxEvaluating - busy))
                .ToList();
            if (pass.Count == 0)
            {
                break;
            }
            if (await PrefetchAsync(pass, ct))
            {
                started.AddRange(pass.Select(id => Start(id, ct)).OfType<Task<bool>>());
            }
            else
            {
                // Each evaluation reads the node itself: no more of them at once than before batched reads.
                await Parallel.ForEachAsync(pass, new ParallelOptions { MaxDegreeOfParallelism = UnbatchedParallelism, CancellationToken = ct }, async (id, _) =>
                {
                    if (Start(id, ct) is { } evaluation)
                    {
                        lock (started)
                        {
                            started.Add(evaluation);
                        }
                        await evaluation;
                    }
                });
            }
            if (pass.Count < PassSize || Stopwatch.GetElapsedTime(clock) > DrainBudget)
            {
                break;
            }
        }
        return started;
    }

    /// <summary>Starts the booking's evaluation unless one is running; it runs synchronously up to its first call to the node.</summary>
    private Task<bool>? Start(BookingId id, CancellationToken ct)
    {
        if (!_evaluating.TryAdd(id, Starting))
        {
            return null;
        }
        // Removes its own entry when it ends, possibly before this update (then a no-op).
        var evaluation = EvaluateAsync(id, ct);
        _evaluating.TryUpdate(id, evaluation, Starting);
        return evaluation;
    }

    private async Task<bool> PrefetchAsync(List<BookingId> pass, CancellationToken ct)
    {
        try
        {
            // A booking with a recorded decision only has its submission checked: its evaluation reads no booking.
            var decided = store.WithDecision(pass);
            await bookings.PrefetchAsync(decided.Count == 0 ? pass : [.. pass.Where(id => !decided.Contains(id))], ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Reading {Count} due bookings in one batch failed ({Error}); reading them one by one", pass.Count, e.Message);
            return false;
        }
    }

    /// <summary>One booking's turn: decided, and one submission step when due (nothing waits for a block).</summary>
    private async Task<bool> EvaluateAsync(BookingId id, CancellationToken ct)
    {
        try
        {
            var step = await sessions.EvaluateAsync(id, ct);
            _failures.TryRemove(id, out _);
            if (step.Decision is Decision.Done || step.Attestation is { Status: not AttestationStatus.Pending })
            {
                _wakeGaps.TryRemove(id, out _); // finished: presence no longer wakes it
            }
            else
            {
                SetWakeGap(id, step.Deciding);
            }
            return true;
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e)
        {
            var failures = _failures.AddOrUpdate(id, 1, (_, n) => n + 1);
            var now = time.GetUtcNow().ToUnixTimeSeconds();
            var retry = EvaluationRetry.DelaySeconds(failures);
            // The booking is decided as of the time it was due whenever this succeeds (BookingSettlement), so a
            // retry only has to come soon: the next tick first, then 1, 2, 4 and at most every 5 seconds.
            store.Schedule(id, now + retry, $"evaluation failed ({failures}x); retrying", now);
            if (SubmissionReasons.Of(e) is { } reason)
            {
                logger.LogWarning("Evaluating {BookingId} failed ({Reason}, {Failures} in a row); retrying in {Retry} s", id, reason, failures, retry);
            }
            else
            {
                logger.LogError(e, "Evaluating {BookingId} failed; retrying in {Retry} s", id, retry);
            }
            return false;
        }
        finally
        {
            _evaluating.TryRemove(id, out _);
        }
    }

    /// <summary>Spaces presence wake-ups by what deciding the booking costs (<see cref="PresenceWakes.GapSeconds"/>).</summary>
    private void SetWakeGap(BookingId id, TimeSpan deciding)
    {
        var gap = PresenceWakes.GapSeconds(deciding);
        var current = _wakeGaps.TryGetValue(id, out var known) ? known : 1;
        if (gap == current)
        {
            return;
        }
        store.SetWakeGap(id, gap);
        if (gap == 1)
        {
            _wakeGaps.TryRemove(id, out _);
        }
        else
        {
            _wakeGaps[id] = gap;
            logger.LogInformation("Deciding {BookingId} took {Ms} ms: presence wakes it at most every {Gap} s", id, (long)deciding.TotalMilliseconds, gap);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextWatch = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.SchedulerIntervalMs));
        try
        {
            do
            {
                // Beside the tick, not in it: a tick whose chain reads fail still lets the store be pruned.
                pruning.Tick(stoppingToken);
                try
                {
                    if (watcher is not null && time.GetUtcNow() >= nextWatch)
                    {
                        await watcher.PollAsync(maxPages: 50, stoppingToken);
                        nextWatch = time.GetUtcNow().AddSeconds(settings.WatchIntervalSeconds);
                    }
                    await StartDueAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Settlement tick failed");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        finally
        {
            // Stopping: the evaluations see the cancellation; let them end before the store goes away.
            await Task.WhenAll(_evaluating.Values);
            await pruning.Running;
        }
    }
}
