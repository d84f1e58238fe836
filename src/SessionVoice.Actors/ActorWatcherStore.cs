using Dapr.Actors.Runtime;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Watching;

namespace SessionVoice.Actors;

/// <summary>A block the watcher read: its height and hash (hex).</summary>
public sealed record WatchedBlockDto(ulong Number, string Hash);

/// <summary>
/// The escrow watcher's memory in the watcher actor's state: the cursor and the newest <see cref="Window"/>
/// block hashes in one list. Moving the cursor saves (the hashes recorded before it with it), as the
/// standalone database commits the cursor after each page.
/// </summary>
public sealed class ActorWatcherStore(IActorStateManager state, int window = ActorWatcherStore.DefaultWindow) : IWatcherStore
{
    public const int DefaultWindow = 128;
    public const string CursorKey = "Cursor";
    public const string BlocksKey = "Blocks";

    public int Window => window;

    private async Task<List<WatchedBlockDto>> BlocksAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<List<WatchedBlockDto>>(BlocksKey, ct)) is { HasValue: true } blocks ? blocks.Value : [];

    public async Task<ulong?> CursorAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<ulong>(CursorKey, ct)) is { HasValue: true } cursor ? cursor.Value : null;

    public async Task SetCursorAsync(ulong nextBlock, CancellationToken ct)
    {
        await state.SetStateAsync(CursorKey, nextBlock, ct);
        await state.SaveStateAsync(ct);
    }

    public async Task RecordBlockAsync(ulong number, Hash32 hash, CancellationToken ct)
    {
        var kept = (await BlocksAsync(ct)).Where(b => b.Number < number).ToList();
        kept.Add(new WatchedBlockDto(number, hash.ToString()));
        await state.SetStateAsync(BlocksKey, kept.Skip(Math.Max(0, kept.Count - window)).ToList(), ct);
    }

    public async Task<Hash32?> BlockAsync(ulong number, CancellationToken ct) =>
        (await BlocksAsync(ct)).FirstOrDefault(b => b.Number == number) is { } block ? Hash32.Parse(block.Hash) : null;

    public async Task<IReadOnlyList<(ulong Number, Hash32 Hash)>> BlocksBelowAsync(ulong belowNumber, CancellationToken ct) =>
        [.. (await BlocksAsync(ct)).Where(b => b.Number < belowNumber).OrderByDescending(b => b.Number).Select(b => (b.Number, Hash32.Parse(b.Hash)))];

    public async Task DeleteBlocksFromAsync(ulong number, CancellationToken ct) =>
        await state.SetStateAsync(BlocksKey, (await BlocksAsync(ct)).Where(b => b.Number < number).ToList(), ct);
}
