using System.Text.Json;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Escrow;

public class EscrowLogPagerTests
{
    /// <summary>The real anvil behind a gateway that refuses eth_getLogs ranges wider than a cap, as MegaETH's does.</summary>
    private sealed class CappedRpc(IJsonRpc inner, ulong maxRange) : IJsonRpc
    {
        public int Refusals { get; private set; }

        public Task<JsonElement> SendAsync(string method, IReadOnlyList<object?> parameters, CancellationToken ct)
        {
            if (method == "eth_getLogs" && parameters[0] is Dictionary<string, object?> filter)
            {
                var from = Hex.DecodeQuantityUInt64((string)filter["fromBlock"]!);
                var to = Hex.DecodeQuantityUInt64((string)filter["toBlock"]!);
                if (to - from + 1 > maxRange)
                {
                    Refusals++;
                    throw new RpcException(method, new RpcError(-32000, $"block range is too large, max {maxRange}", null));
                }
            }
            return inner.SendAsync(method, parameters, ct);
        }

        public Task<IReadOnlyList<RpcResponse>> SendBatchAsync(IReadOnlyList<RpcRequest> requests, CancellationToken ct) => inner.SendBatchAsync(requests, ct);
    }

    [Fact]
    public async Task Pages_shrink_when_the_node_refuses_and_every_event_is_read_once()
    {
        await using var chain = await EscrowChain.StartAsync();
        var now = await chain.NowAsync();
        var bookings = new List<TestBooking>();
        for (var i = 0; i < 5; i++)
        {
            bookings.Add(await chain.CreateBookingAsync(now + 3600 + i));
            await chain.Anvil.MineAsync();
        }
        await chain.CancelAsync(bookings[2].Id, bookings[2].Guest);
        var head = await chain.Anvil.Eth.BlockNumberAsync();

        var capped = new CappedRpc(chain.Anvil.Rpc, 7);
        var pager = new EscrowLogPager(new EscrowClient(new EthClient(capped), chain.EscrowAddress), initialPageSize: 100);
        var events = new List<EscrowEvent>();
        ulong from = 0;
        while (await pager.ReadNextAsync(from, head, default) is { } page)
        {
            Assert.True(page.ToBlock - page.FromBlock + 1 <= 7);
            events.AddRange(page.Events);
            from = page.NextFromBlock;
        }
        Assert.Equal(head + 1, from);
        Assert.True(capped.Refusals >= 1);
        Assert.True(pager.PageSize < 100);
        Assert.Equal(bookings.Select(b => b.Id), events.OfType<SessionBooked>().Select(e => e.BookingId));
        Assert.Equal(bookings[2].Id, Assert.Single(events.OfType<SessionBookingCancelled>()).BookingId);
        Assert.Null(await pager.ReadNextAsync(head + 1, head, default));
    }
}
