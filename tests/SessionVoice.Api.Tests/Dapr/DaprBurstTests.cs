using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Testing;
using SessionVoice.Testing.Daprd;

namespace SessionVoice.Api.Tests.Dapr;

/// <summary>
/// 100 bookings due in the same second, settled by two Dapr instances sharing one oracle key, against the same
/// burst settled by one standalone instance on its own chain. Nobody came to any booking: each is due at
/// Dl = G + D − margin and must be attested NoShowHost by one oracle transaction. Blocks come only when the test
/// mines them, one every <c>blockSeconds</c> of real (and chain, and service) time, as a chain makes them.
/// </summary>
public class DaprBurstTests(ITestOutputHelper output)
{
    private const int Bookings = 100;
    private const uint DurationMins = 30, GraceMins = 5, MinOverlapMins = 10;

    private sealed record BurstRun(double MinedSeconds, int Transactions, long NonceErrors, TimeSpan LongestTurn, string LongestTurnText);

    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    public async Task A_burst_on_two_dapr_instances_is_all_mined_once_each_with_short_turns_within_twice_the_standalone_time(long blockSeconds)
    {
        var standalone = await RunAsync(dapr: false, blockSeconds);
        var dapr = await RunAsync(dapr: true, blockSeconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Bookings} due at once, {blockSeconds} s blocks: standalone mined in {standalone.MinedSeconds:0.0} s, dapr (2 instances) in {dapr.MinedSeconds:0.0} s; longest dapr turn {dapr.LongestTurnText}"));

        Assert.Equal(Bookings, standalone.Transactions);
        Assert.Equal(Bookings, dapr.Transactions);
        Assert.Equal(0, standalone.NonceErrors);
        Assert.Equal(0, dapr.NonceErrors);
        Assert.True(dapr.LongestTurn < TimeSpan.FromSeconds(2), $"longest actor turn in the due phase: {dapr.LongestTurnText}");
        // Both are whole blocks after the jump (plus the time to read the chain after the block).
        Assert.True(dapr.MinedSeconds <= 2 * standalone.MinedSeconds + 0.25,
            $"dapr {dapr.MinedSeconds:0.0} s against standalone {standalone.MinedSeconds:0.0} s");
    }

    private async Task<BurstRun> RunAsync(bool dapr, long blockSeconds)
    {
        await using var chain = await EscrowChain.StartAsync();
        var start = await chain.NowAsync() - 10 * 60;
        var dl = start + (GraceMins + DurationMins) * 60 - (long)PolicyParameters.Default.Margin.TotalSeconds;
        var windowCloses = start + (GraceMins + DurationMins) * 60;
        var bookings = await chain.CreateBookingsAsync(Bookings, start, DurationMins, GraceMins, MinOverlapMins);
        var firstBlock = await chain.Anvil.Eth.BlockNumberAsync();
        var nonceBefore = await chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest);
        using var rpc = new RpcCounter();
        void Rpc(IServiceCollection services)
        {
            services.RemoveAll<HttpClient>();
            services.AddSingleton(new HttpClient(rpc, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) });
        }
        var extra = new Dictionary<string, string?>
        {
            ["ESCROW_START_BLOCK"] = chain.DeploymentBlock.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:SessionVoice"] = "Information",
        };

        ShiftedTime time;
        DaprCluster? cluster = null;
        ApiHost? api = null;
        DateTimeOffset jumped;
        try
        {
            if (dapr)
            {
                cluster = await DaprCluster.StartAsync(extraSettings: extra, services: Rpc, chainToUse: chain);
                time = cluster.Time;
                Assert.All(await cluster.Daprd.TriggerCronAsync(), t => Assert.Equal(200, t.Status));
                await DaprdDouble.WaitUntilAsync(() => cluster.Daprd.Reminders.Count(r => r.ActorType == "BookingActor" && r.DueAt.ToUnixTimeSeconds() >= dl - 1) == Bookings,
                    TimeSpan.FromSeconds(60), "every booking waiting for Dl");
            }
            else
            {
                time = new ShiftedTime();
                var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
                settings["SCHEDULER_INTERVAL_MS"] = "100";
                settings["WATCH_INTERVAL_SECONDS"] = "1";
                foreach (var (k, v) in extra)
                {
                    settings[k] = v;
                }
                api = new ApiHost(settings, time, Rpc);
                using var client = api.Client();
                var store = api.Services.GetRequiredService<SqliteSettlementStore>();
                await DaprdDouble.WaitUntilAsync(() => store.Progress() is { Undecided: 0, Waiting: Bookings }, TimeSpan.FromSeconds(60), "every booking waiting for Dl");
            }

            await chain.Anvil.SetAutomineAsync(false);
            await time.AdvanceToAsync(chain.Anvil, dl);
            jumped = DateTimeOffset.UtcNow;
            var watch = Stopwatch.StartNew();
            var now = dl;
            // Blocks in real time: one every blockSeconds of the clock, as a chain makes them.
            while (!await AllAttestedAsync(chain, bookings))
            {
                Assert.True(now <= windowCloses + blockSeconds, $"not all attested when the window closed ({(dapr ? "dapr" : "standalone")})");
                now += blockSeconds;
                var wait = now * 1000 - time.GetUtcNow().ToUnixTimeMilliseconds();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait));
                }
                await chain.Anvil.MineAsync(now);
            }
            var mined = watch.Elapsed.TotalSeconds;

            var onChain = await chain.Escrow.GetBookingsAsync([.. bookings.Select(b => b.Id)]);
            Assert.All(onChain, b => Assert.Equal(Outcome.NoShowHost, b!.OracleOutcome));
            var attested = (await chain.Escrow.GetEventsAsync(firstBlock, await chain.Anvil.Eth.BlockNumberAsync())).OfType<Attested>().ToList();
            Assert.Equal(bookings.Select(b => b.Id.Value).Order(), attested.Select(a => a.BookingId.Value).Order());
            Assert.Equal(nonceBefore + Bookings, await chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest));

            var traffic = rpc.Snapshot();
            var turns = cluster?.Daprd.Turns.Where(t => t.Start >= jumped && t.Duration is not null).ToList() ?? [];
            var longest = turns.OrderByDescending(t => t.Duration).FirstOrDefault();
            if (cluster is not null)
            {
                Assert.Empty(cluster.Daprd.OverlappingTurns());
                Assert.DoesNotContain(cluster.Daprd.ReminderDeliveries, d => d.Dropped);
            }
            return new BurstRun(mined, (int)traffic.Count("eth_sendRawTransaction"), traffic.NonceErrors, longest?.Duration ?? TimeSpan.Zero, longest?.ToString() ?? "none");
        }
        finally
        {
            if (api is not null)
            {
                await api.DisposeAsync();
            }
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    private static async Task<bool> AllAttestedAsync(EscrowChain chain, IReadOnlyList<TestBooking> bookings) =>
        (await chain.Escrow.GetBookingsAsync([.. bookings.Select(b => b.Id)])).All(b => b is { Status: BookingStatus.Attested });
}
