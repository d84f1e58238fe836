using SessionVoice.Api.Configuration;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Settlement;

public sealed record WatchResult(int Pages, int Booked, int Cancelled, int Attested, ulong NextBlock);

/// <summary>
/// Follows the escrow's logs from ESCROW_START_BLOCK so every booking is tracked, even one where
/// nobody ever calls this service. The cursor is persisted after each page.
/// </summary>
public sealed class EscrowWatcher(EscrowClient escrow, SqliteSettlementStore store, IBookingTracker tracker, ServiceSettings settings, ILogger<EscrowWatcher> logger) : IDisposable
{
    private readonly EscrowLogPager _pager = new(escrow, settings.LogPageSize);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<WatchResult> PollAsync(int maxPages, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var from = store.WatcherCursor() ?? settings.EscrowStartBlock;
            var head = await escrow.Eth.BlockNumberAsync(ct);
            int pages = 0, booked = 0, cancelled = 0, attested = 0;
            while (pages < maxPages && await _pager.ReadNextAsync(from, head, ct) is { } page)
            {
                foreach (var e in page.Events)
                {
                    switch (e)
                    {
                        case SessionBooked:
                            booked++;
                            await tracker.TrackAsync(e.BookingId, ct);
                            break;
                        case SessionBookingCancelled:
                            cancelled++;
                            await tracker.WakeAsync(e.BookingId, ct);
                            break;
                        case Attested:
                            attested++;
                            await tracker.WakeAsync(e.BookingId, ct);
                            break;
                    }
                }
                from = page.NextFromBlock;
                store.SetWatcherCursor(from);
                pages++;
            }
            if (booked > 0)
            {
                logger.LogInformation("Watcher saw {Count} bookings up to block {Block}", booked, from - 1);
            }
            return new WatchResult(pages, booked, cancelled, attested, from);
        }
        catch (RpcException e)
        {
            logger.LogWarning("Watcher could not read the escrow's logs: {Kind}", e.Kind);
            return new WatchResult(0, 0, 0, 0, store.WatcherCursor() ?? settings.EscrowStartBlock);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
