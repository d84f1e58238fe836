using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Settlement;

/// <summary>
/// The latest block's timestamp, read at most once a second for the whole process: a burst of late decisions
/// (thousands due in the same second after an outage) costs one eth_getBlockByNumber, not one each.
/// </summary>
public sealed class ChainClock(EthClient eth, TimeProvider time) : IChainClock
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private (Task<long> Read, DateTimeOffset At)? _last;

    public Task<long> LatestBlockTimeAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_last is not { } last || now - last.At > MaxAge || last.Read.IsFaulted || last.Read.IsCanceled)
            {
                // Not bound to one caller's token: every caller of this second shares the read.
                _last = (ReadAsync(), now);
            }
            return _last.Value.Read.WaitAsync(ct);
        }
    }

    private async Task<long> ReadAsync() =>
        (long)((await eth.GetBlockAsync(BlockTag.Latest, CancellationToken.None).ConfigureAwait(false))?.Timestamp
            ?? throw new RpcException("eth_getBlockByNumber", new RpcError(0, "transport: no latest block", null)));
}
