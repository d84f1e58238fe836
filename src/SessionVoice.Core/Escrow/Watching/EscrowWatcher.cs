using Microsoft.Extensions.Logging;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Core.Escrow.Watching;

/// <summary>Where the watcher starts (ESCROW_START_BLOCK) and the first page's size in blocks (LOG_PAGE_SIZE).</summary>
public sealed record WatcherOptions(ulong StartBlock, int LogPageSize = 100);

/// <summary>The watcher's memory: the next block to read and the hashes of the last blocks read, newest heights only.</summary>
public interface IWatcherStore
{
    Task<ulong?> CursorAsync(CancellationToken ct);

    /// <summary>Moves the cursor; persisted when the task completes (the hashes recorded before it with it).</summary>
    Task SetCursorAsync(ulong nextBlock, CancellationToken ct);

    /// <summary>Records the hash read at a height and drops anything recorded above it (a branch read before a rewind).</summary>
    Task RecordBlockAsync(ulong number, Hash32 hash, CancellationToken ct);

    Task<Hash32?> BlockAsync(ulong number, CancellationToken ct);

    /// <summary>The recorded heights below <paramref name="belowNumber"/>, newest first.</summary>
    Task<IReadOnlyList<(ulong Number, Hash32 Hash)>> BlocksBelowAsync(ulong belowNumber, CancellationToken ct);

    /// <summary>Forgets the heights from <paramref name="number"/> up: after a rewind they are to be read again.</summary>
    Task DeleteBlocksFromAsync(ulong number, CancellationToken ct);
}

/// <summary>Where a booking is handed over for settlement: the standalone schedule or the booking actor.</summary>
public interface IBookingTracker
{
    /// <summary>Starts settling the booking (idempotent).</summary>
    Task TrackAsync(BookingId id, CancellationToken ct);

    /// <summary>Something changed on chain or in the channel: decide again soon.</summary>
    Task WakeAsync(BookingId id, CancellationToken ct);
}

/// <param name="Rewound">
/// Blocks the cursor moved back this poll because a reorg replaced blocks already read (0: none). It can
/// exceed the reorg's depth: the watcher keeps one hash per page read, and rewinds to a page's end.
/// </param>
public sealed record WatchResult(int Pages, int Booked, int Cancelled, int Attested, ulong NextBlock, ulong Rewound = 0);

/// <summary>
/// Follows the escrow's logs from ESCROW_START_BLOCK so every booking is tracked, even one where
/// nobody ever calls this service. The cursor is persisted after each page.
/// </summary>
/// <remarks>
/// The cursor alone would stay ahead of the chain after a reorg, and a booking made in a re-mined block (a
/// height already read, now another block) would never be tracked. So the watcher records the hash of each
/// page's last block (<see cref="IWatcherStore"/>), and every poll first checks that the last block it
/// read is still on the chain; when not, it walks back to the newest recorded block that is, and reads again
/// from the block after it. Reading again is safe: tracking is idempotent, and waking a booking only makes it
/// decide again.
/// </remarks>
/// <remarks>
/// Where the cursor and the hashes live is the <see cref="IWatcherStore"/>'s business: the standalone database, or
/// the watcher actor's state in Dapr mode (one watcher for the cluster). The gate only serialises polls of this
/// instance; across replicas the actor's turn does.
/// </remarks>
public sealed class EscrowWatcher(
    EscrowClient escrow, IWatcherStore store, IBookingTracker tracker, WatcherOptions options, ILogger<EscrowWatcher> logger,
    IBookingDirectory? directory = null)
    : IDisposable
{
    private readonly EscrowLogPager _pager = new(escrow, options.LogPageSize);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<WatchResult> PollAsync(int maxPages, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        ulong rewound = 0;
        try
        {
            var from = await store.CursorAsync(ct) ?? options.StartBlock;
            var head = await escrow.Eth.BlockNumberAsync(ct);
            if (await FindRewindAsync(from, head, ct) is { } rewind)
            {
                rewound = from - rewind;
                from = rewind;
                await store.DeleteBlocksFromAsync(from, ct);
                await store.SetCursorAsync(from, ct);
                // A booking id read before the reorg may now be another booking on another slot.
                directory?.Forget();
            }
            int pages = 0, booked = 0, cancelled = 0, attested = 0;
            BlockHeader? end = null;
            async Task ReadEnd(ulong number, CancellationToken token) => end = await escrow.Eth.GetBlockAsync(BlockTag.Number(number), token);
            while (pages < maxPages && await _pager.ReadNextAsync(from, head, ReadEnd, ct) is { } page)
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
                if (end is not { } header || header.Number != page.ToBlock)
                {
                    // The page's last block vanished while it was read (the head went backwards): the cursor
                    // stays, and the next poll finds the reorg.
                    break;
                }
                // The hash before the cursor: a cursor moved past a block whose hash was never kept is a
                // block no later poll can check.
                await store.RecordBlockAsync(header.Number, header.Hash, ct);
                from = page.NextFromBlock;
                await store.SetCursorAsync(from, ct);
                pages++;
            }
            if (booked > 0)
            {
                logger.LogInformation("Watcher saw {Count} bookings up to block {Block}", booked, from - 1);
            }
            return new WatchResult(pages, booked, cancelled, attested, from, rewound);
        }
        catch (RpcException e)
        {
            logger.LogWarning("Watcher could not read the escrow's logs: {Kind}", e.Kind);
            return new WatchResult(0, 0, 0, 0, await store.CursorAsync(ct) ?? options.StartBlock, rewound);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Where to read from again when a reorg replaced blocks already read (null: no reorg). One eth_getBlockByNumber
    /// when nothing changed: the last block read, compared with its recorded hash. Any replaced block at or below
    /// it changes that hash too (each block's hash covers its parent's).
    /// </summary>
    private async Task<ulong?> FindRewindAsync(ulong cursor, ulong head, CancellationToken ct)
    {
        if (cursor == 0)
        {
            return null;
        }
        var last = cursor - 1;
        if (cursor <= options.StartBlock)
        {
            // Nothing read yet: the block before the first page is the anchor a walk back can stop at, so a
            // reorg inside the first pages rewinds to ESCROW_START_BLOCK and not to a page's end. Kept fresh
            // until the first page is read (the same one call a quiet poll makes).
            if (last <= head && await escrow.Eth.GetBlockAsync(BlockTag.Number(last), ct) is { } anchor)
            {
                await store.RecordBlockAsync(anchor.Number, anchor.Hash, ct);
            }
            return null;
        }
        Hash32? mismatched = null;
        if (last > head)
        {
            // The head went backwards: blocks already read are gone.
        }
        else if (await store.BlockAsync(last, ct) is { } recorded)
        {
            var current = await escrow.Eth.GetBlockAsync(BlockTag.Number(last), ct);
            if (current?.Hash == recorded)
            {
                return null;
            }
            mismatched = recorded;
        }
        else
        {
            // Nothing to compare with (a database from before block hashes were kept, or just after a rewind
            // past every recorded height): what the chain has now is the reference from here on.
            if (await escrow.Eth.GetBlockAsync(BlockTag.Number(last), ct) is { } current)
            {
                await store.RecordBlockAsync(current.Number, current.Hash, ct);
            }
            return null;
        }

        var recordedBelow = await store.BlocksBelowAsync(cursor, ct);
        foreach (var (number, hash) in recordedBelow)
        {
            if (number > head || (number == last && mismatched == hash))
            {
                continue;
            }
            if ((await escrow.Eth.GetBlockAsync(BlockTag.Number(number), ct))?.Hash == hash)
            {
                logger.LogWarning("Reorg: block {Last} the watcher read is no longer on the chain (head {Head}); rewound {Depth} blocks to the common ancestor {Ancestor} and reading again from {From}",
                    last, head, cursor - (number + 1), number, number + 1);
                return number + 1;
            }
        }
        // Never above the head: blocks mined later at heights between the head and the oldest recorded one
        // would be skipped.
        var rewind = recordedBelow.Count > 0 ? Math.Max(options.StartBlock, Math.Min(recordedBelow[^1].Number, head + 1)) : options.StartBlock;
        logger.LogWarning("Reorg deeper than the {Count} recorded block hashes: block {Last} the watcher read is no longer on the chain (head {Head}) and no recorded block is; rewound {Depth} blocks to {From}, {Where}",
            recordedBelow.Count, last, head, cursor - rewind, rewind,
            recordedBelow.Count == 0 ? "ESCROW_START_BLOCK" : rewind == recordedBelow[^1].Number ? "the oldest recorded height" : "the block after the head");
        return rewind;
    }

    public void Dispose() => _gate.Dispose();
}
