using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Watching;

namespace SessionVoice.Api.Standalone;

/// <summary>The standalone watcher's memory: the cursor in the settlement tables, the block hashes in their own.</summary>
public sealed class SqliteWatcherStore(SqliteSettlementStore store, SqliteWatcherBlocks blocks) : IWatcherStore
{
    public Task<ulong?> CursorAsync(CancellationToken ct) => Task.FromResult(store.WatcherCursor());

    public Task SetCursorAsync(ulong nextBlock, CancellationToken ct)
    {
        store.SetWatcherCursor(nextBlock);
        return Task.CompletedTask;
    }

    public Task RecordBlockAsync(ulong number, Hash32 hash, CancellationToken ct)
    {
        blocks.Record(number, hash);
        return Task.CompletedTask;
    }

    public Task<Hash32?> BlockAsync(ulong number, CancellationToken ct) => Task.FromResult(blocks.Get(number));

    public Task<IReadOnlyList<(ulong Number, Hash32 Hash)>> BlocksBelowAsync(ulong belowNumber, CancellationToken ct) => Task.FromResult(blocks.Below(belowNumber));

    public Task DeleteBlocksFromAsync(ulong number, CancellationToken ct)
    {
        blocks.DeleteFrom(number);
        return Task.CompletedTask;
    }
}
