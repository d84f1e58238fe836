using SessionVoice.Api.Configuration;

namespace SessionVoice.Api.Standalone;

/// <summary>
/// Forgets webhook notice ids older than WEBHOOK_NOTICE_RETENTION_HOURS, at most every <see cref="Interval"/> of the
/// service's clock. The settlement loop asks at each tick; a prune runs beside the loop (never holding a tick) and in
/// bounded steps through the write queue (<see cref="SqliteObservedStore.PruneNoticesAsync"/>).
/// </summary>
public sealed class WebhookNoticePruning(SqliteObservedStore store, ServiceSettings settings, TimeProvider time, ILogger<WebhookNoticePruning> logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    private DateTimeOffset _next = DateTimeOffset.MinValue;

    /// <summary>The prune started last (completed when none runs).</summary>
    public Task Running { get; private set; } = Task.CompletedTask;

    private long _runs;

    /// <summary>Prunes finished so far (for tests and figures).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    public TimeSpan Retention => TimeSpan.FromHours(settings.WebhookNoticeRetentionHours);

    /// <summary>Starts a prune when one is due and none is running; returns at once. Called from one loop only.</summary>
    public void Tick(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now < _next || !Running.IsCompleted)
        {
            return;
        }
        _next = now + Interval;
        var cutoffMs = (now - Retention).ToUnixTimeMilliseconds();
        Running = Task.Run(() => PruneAsync(cutoffMs, ct), CancellationToken.None);
    }

    private async Task PruneAsync(long cutoffMs, CancellationToken ct)
    {
        try
        {
            var deleted = await store.PruneNoticesAsync(cutoffMs, ct);
            Interlocked.Increment(ref _runs);
            if (deleted > 0)
            {
                logger.LogInformation("Forgot {Count} webhook notice ids older than {Hours} h", deleted, settings.WebhookNoticeRetentionHours);
            }
        }
        catch (Exception e) when (ct.IsCancellationRequested || e is ObjectDisposedException)
        {
            // Stopping: the next start prunes.
        }
        catch (Exception e)
        {
            logger.LogWarning("Pruning webhook notice ids failed ({Error}); tried again in {Minutes} min", e.Message, Interval.TotalMinutes);
        }
    }
}
