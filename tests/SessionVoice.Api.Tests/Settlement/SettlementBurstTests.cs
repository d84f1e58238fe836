using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Testing;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>
/// Many attestations due in the same second, on a chain whose blocks come every 12 s: the service and anvil
/// clocks jump 12 s per block, a block every 500 ms of real time, and nothing is mined in between. Nobody
/// came to any booking, so each is due at Dl = G + D − margin and must be attested NoShowHost by one oracle
/// transaction; the contract takes it until G + D, ten blocks later (rule 5 allows deciding it until half
/// the margin, five blocks, after Dl).
/// </summary>
public class SettlementBurstTests
{
    private const int Bookings = 150;
    private const long BlockSeconds = 12;
    private const uint DurationMins = 30, GraceMins = 5, MinOverlapMins = 10;

    [Fact]
    public async Task A_burst_of_due_attestations_is_all_mined_once_each_with_consecutive_nonces_and_no_nonce_error()
    {
        await using var chain = await EscrowChain.StartAsync();
        var time = new ShiftedTime();
        // Started 10 min ago: the first decision is Wait(Dl), and Dl is the same second for all of them.
        var start = await chain.NowAsync() - 10 * 60;
        var dl = start + (GraceMins + DurationMins) * 60 - (long)PolicyParameters.Default.Margin.TotalSeconds;
        var windowCloses = start + (GraceMins + DurationMins) * 60;
        var bookings = await chain.CreateBookingsAsync(Bookings, start, DurationMins, GraceMins, MinOverlapMins);
        var firstBlock = await chain.Anvil.Eth.BlockNumberAsync();
        var nonceBefore = await chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest);

        using var rpc = new RpcCounter();
        var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
        settings["ESCROW_START_BLOCK"] = chain.DeploymentBlock.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["SCHEDULER_INTERVAL_MS"] = "100";
        settings["WATCH_INTERVAL_SECONDS"] = "1";
        await using var api = new ApiHost(settings, time, services =>
        {
            services.RemoveAll<HttpClient>();
            services.AddSingleton(new HttpClient(rpc, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) });
        });
        using var client = api.Client();
        var store = api.Services.GetRequiredService<SqliteSettlementStore>();

        // The watcher tracks every booking and each is decided once: wait until Dl.
        await WaitUntilAsync(() => store.Progress() is { Tracked: Bookings, Undecided: 0 }, TimeSpan.FromSeconds(30), "tracked and decided once");
        Assert.Equal(Bookings, store.Progress().Waiting);

        // From here blocks come only when this test mines them, 12 s of chain (and service) time apart.
        await chain.Anvil.SetAutomineAsync(false);
        await time.AdvanceToAsync(chain.Anvil, dl);
        var now = dl;
        while (now <= windowCloses + BlockSeconds && !await AllAttestedAsync(chain, bookings))
        {
            // 12 s are plenty for the service to send what it decided: the next block comes once every booking's
            // transaction is in the node's pool or in a block (no real-time pause standing in for those 12 s).
            await WaitUntilSentAsync(chain, bookings);
            now += BlockSeconds;
            await time.AdvanceToAsync(chain.Anvil, now);
        }

        var onChain = await chain.Escrow.GetBookingsAsync([.. bookings.Select(b => b.Id)]);
        var missed = store.Progress()[AttestationStatus.WindowMissed];
        Assert.True(onChain.All(b => b is { Status: BookingStatus.Attested }),
            $"{onChain.Count(b => b is { Status: BookingStatus.Attested })}/{Bookings} attested by the time the window closed; {missed} decided too late");
        Assert.All(onChain, b => Assert.Equal(Outcome.NoShowHost, b!.OracleOutcome));

        // The service learns of each receipt at its next poll.
        await WaitUntilAsync(() => store.Progress() is var p && p[AttestationStatus.Mined] + p[AttestationStatus.Final] == Bookings, TimeSpan.FromSeconds(30), "recorded as mined");

        // Exactly once: one Attested event per booking, each from its own oracle transaction, nonces consecutive.
        var attested = (await chain.Escrow.GetEventsAsync(firstBlock, await chain.Anvil.Eth.BlockNumberAsync())).OfType<Attested>().ToList();
        Assert.Equal(bookings.Select(b => b.Id.Value).Order(), attested.Select(a => a.BookingId.Value).Order());
        var nonces = new List<ulong>();
        foreach (var a in attested)
        {
            var tx = await chain.Anvil.RawAsync("eth_getTransactionByHash", a.Log.TransactionHash.ToString());
            Assert.Equal(EscrowChain.Oracle, Address.Parse(tx.GetProperty("from").GetString()!));
            nonces.Add(Hex.DecodeQuantityUInt64(tx.GetProperty("nonce").GetString()));
            var stored = store.GetAttestation(a.BookingId);
            Assert.Contains(stored!.Status, (AttestationStatus[])[AttestationStatus.Mined, AttestationStatus.Final]);
            Assert.Equal(a.Log.TransactionHash, stored!.TxHash);
            Assert.Equal(a.MetricsHash, stored.MetricsHash);
        }
        Assert.Equal(Enumerable.Range(0, Bookings).Select(i => nonceBefore + (ulong)i), nonces.Order());
        Assert.Equal(nonceBefore + Bookings, await chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest));

        var traffic = rpc.Snapshot();
        Assert.True(traffic.NonceErrors == 0, $"{traffic.NonceErrors} nonce errors: {string.Join(" | ", rpc.NonceMessages)}");
        Assert.Equal(Bookings, traffic.Count("eth_sendRawTransaction"));
    }

    private static async Task<bool> AllAttestedAsync(EscrowChain chain, IReadOnlyList<TestBooking> bookings) =>
        (await chain.Escrow.GetBookingsAsync([.. bookings.Select(b => b.Id)])).All(b => b is { Status: BookingStatus.Attested });

    private static async Task WaitUntilSentAsync(EscrowChain chain, IReadOnlyList<TestBooking> bookings)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var pooled = Hex.DecodeQuantityUInt64((await chain.Anvil.RawAsync("txpool_status")).GetProperty("pending").GetString()!);
            var attested = (await chain.Escrow.GetBookingsAsync([.. bookings.Select(b => b.Id)])).Count(b => b is { Status: BookingStatus.Attested });
            if ((int)pooled + attested >= bookings.Count)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, $"30 s after the block, {pooled} transactions in the pool and {attested} bookings attested of {bookings.Count}");
            await Task.Delay(50);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => Poll.UntilAsync(condition, timeout, what);
}
