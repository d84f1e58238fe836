using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Escrow;

/// <summary>
/// The latest block's timestamp, read at most once a second for the whole process: a burst of late decisions
/// (thousands due in the same second after an outage) costs one eth_getBlockByNumber, not one each.
/// </summary>
public sealed class ChainClock(EthClient eth, TimeProvider? time = null) : IChainClock
{
    private readonly SharedRead<long> _latest = new(
        async () => (long)((await eth.GetBlockAsync(BlockTag.Latest, CancellationToken.None).ConfigureAwait(false))?.Timestamp
            ?? throw new RpcException("eth_getBlockByNumber", new RpcError(0, "transport: no latest block", null))),
        TimeSpan.FromSeconds(1),
        time);

    public Task<long> LatestBlockTimeAsync(CancellationToken ct) => _latest.GetAsync(ct);
}
