using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>One page of escrow events and the block the next read starts from.</summary>
public sealed record EscrowLogPage(IReadOnlyList<EscrowEvent> Events, ulong FromBlock, ulong ToBlock, ulong NextFromBlock, int PageSize);

/// <summary>
/// Reads the escrow's events in block ranges. RPCs cap eth_getLogs ranges (MegaETH 100 blocks,
/// others 1k–10k, ethereum.md §7), so the page halves when the node says the range is too large
/// and grows back slowly after successes, never beyond a size the node refused.
/// </summary>
public sealed class EscrowLogPager(EscrowClient escrow, int initialPageSize = 100, int maxPageSize = 1000)
{
    private int _pageSize = Math.Max(1, initialPageSize);
    private int _ceiling = Math.Max(1, maxPageSize);

    public int PageSize => _pageSize;

    /// <summary>Reads [from, min(from + page − 1, head)]; returns null when <paramref name="fromBlock"/> is past the head.</summary>
    public Task<EscrowLogPage?> ReadNextAsync(ulong fromBlock, ulong headBlock, CancellationToken ct) => ReadNextAsync(fromBlock, headBlock, null, ct);

    /// <param name="beforeRange">
    /// Called with the range's last block before each eth_getLogs attempt. A reader that keeps block hashes
    /// reads the hash there, before the logs: had it read it after, a reorg in between would pair the new
    /// chain's hash with the old chain's logs, and the replaced blocks would never be read.
    /// </param>
    public async Task<EscrowLogPage?> ReadNextAsync(ulong fromBlock, ulong headBlock, Func<ulong, CancellationToken, Task>? beforeRange, CancellationToken ct)
    {
        while (fromBlock <= headBlock)
        {
            var toBlock = Math.Min(headBlock, fromBlock + (ulong)_pageSize - 1);
            try
            {
                if (beforeRange is not null)
                {
                    await beforeRange(toBlock, ct).ConfigureAwait(false);
                }
                var events = await escrow.GetEventsAsync(fromBlock, toBlock, ct).ConfigureAwait(false);
                var page = new EscrowLogPage(events, fromBlock, toBlock, toBlock + 1, _pageSize);
                _pageSize = Math.Min(_ceiling, _pageSize + Math.Max(1, _pageSize / 4));
                return page;
            }
            catch (RpcException e) when (e.Kind == RpcErrorKind.LogRangeTooLarge && _pageSize > 1)
            {
                // Never grow back to a size the node refused.
                _ceiling = _pageSize - 1;
                _pageSize = Math.Max(1, _pageSize / 2);
            }
        }
        return null;
    }
}
