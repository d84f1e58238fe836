using SessionVoice.Api.Infrastructure;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>The service's RPC client under a node that blips: reads are retried within a second, transactions never.</summary>
public class RpcReadRetriesTests
{
    [Fact]
    public async Task A_read_survives_a_short_refusal_and_rate_limiting_but_a_transaction_send_is_never_repeated()
    {
        await using var anvil = await Anvil.StartAsync();
        await using var proxy = await RpcFaultProxy.StartAsync(anvil.RpcUrl);
        using var http = new HttpClient(new RpcReadRetries(new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(10) };
        var eth = new EthClient(new JsonRpcClient(http, proxy.Url));
        await eth.BlockNumberAsync();

        await proxy.RefuseAsync(TimeSpan.FromMilliseconds(150));
        Assert.Equal(Anvil.DefaultChainId, await eth.ChainIdAsync());

        proxy.RateLimit(TimeSpan.FromSeconds(1), duration: TimeSpan.FromMilliseconds(150));
        Assert.Equal(Anvil.DefaultChainId, await eth.ChainIdAsync());
        Assert.True(proxy.Faulted(RpcFault.RateLimit, "eth_chainId") >= 1);

        proxy.RateLimit(TimeSpan.FromSeconds(1));
        var oracle = AnvilAccounts.Signer(AnvilAccounts.Oracle);
        var tx = new Eip1559Transaction(Anvil.DefaultChainId, 0, 1_000_000_000, 10_000_000_000, 21_000, oracle.Address, 0, []).Sign(oracle);
        var refused = await Assert.ThrowsAsync<RpcException>(() => eth.SendRawTransactionAsync(tx));
        Assert.Equal(RpcErrorKind.RateLimited, refused.Kind);
        Assert.Equal(1, proxy.Faulted(RpcFault.RateLimit, "eth_sendRawTransaction"));
        // And a read that keeps failing gives up after about a second, not at the client's timeout.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(RpcErrorKind.RateLimited, (await Assert.ThrowsAsync<RpcException>(() => eth.BlockNumberAsync())).Kind);
        Assert.InRange(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 0.2, 3);
        Assert.Equal(4, proxy.Faulted(RpcFault.RateLimit, "eth_blockNumber"));
    }
}
