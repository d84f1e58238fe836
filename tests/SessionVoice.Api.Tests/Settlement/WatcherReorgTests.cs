using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>
/// The escrow watcher across reorgs on a real anvil: blocks it already read are replaced (evm_revert to a
/// snapshot, or anvil_rollback and mining again) by blocks with other bookings, and those must be tracked.
/// The watcher is driven directly (one <see cref="EscrowWatcher.PollAsync"/> at a time, over its own SQLite
/// file and an <see cref="RpcCounter"/>), and once through the sweep endpoint.
/// </summary>
public sealed class WatcherReorgTests
{
    private const string ServiceToken = "test-service-token-0123456789abcdef";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_booking_made_after_a_revert_to_a_snapshot_is_tracked(bool headReachesTheOldCursor)
    {
        await using var chain = await EscrowChain.StartAsync();
        using var db = new TempDatabase();
        using var w = new WatcherUnderTest(chain, db.Db);
        var now = await chain.NowAsync();
        var snapshot = await chain.Anvil.SnapshotAsync();
        var a = await chain.CreateBookingAsync(now + 3600);
        await chain.Anvil.MineBlocksAsync(5);
        var first = await w.PollAsync();
        var oldHead = await chain.Anvil.Eth.BlockNumberAsync();
        Assert.Equal(1, first.Booked);
        Assert.Equal(oldHead + 1, first.NextBlock);
        Assert.NotNull(w.Store.GetTracked(a.Id));

        await chain.Anvil.RevertAsync(snapshot);
        var b1 = await chain.CreateBookingAsync(now + 7200);
        var b2 = await chain.CreateBookingAsync(now + 7200);
        // The escrow's booking counter went back with the revert: the first new booking has A's id.
        Assert.Equal(a.Id, b1.Id);
        Assert.NotEqual(a.Id, b2.Id);
        Assert.Null(w.Store.GetTracked(b2.Id));
        var head = await chain.Anvil.Eth.BlockNumberAsync();
        if (headReachesTheOldCursor)
        {
            await chain.Anvil.MineBlocksAsync(oldHead + 1 - head);
            head = await chain.Anvil.Eth.BlockNumberAsync();
            Assert.True(head >= first.NextBlock);
        }
        else
        {
            Assert.True(head + 1 < first.NextBlock, $"head {head} should be below the old cursor {first.NextBlock}");
        }

        var after = await w.PollAsync();
        Assert.True(after.Rewound > 0, "the reorg was not detected");
        Assert.Equal(head + 1, after.NextBlock);
        Assert.Equal(2, after.Booked);
        Assert.NotNull(w.Store.GetTracked(b2.Id));
        Assert.Equal(2, w.Store.CountTracked().Tracking);
        Assert.Contains(w.Log.Warnings, m => m.Contains("Reorg", StringComparison.Ordinal) && m.Contains($"rewound {after.Rewound} blocks", StringComparison.Ordinal));
        // Back on the chain: the next poll reads nothing again.
        Assert.Equal(new WatchResult(0, 0, 0, 0, head + 1, 0), await w.PollAsync());
    }

    /// <summary>
    /// Settlement can evaluate a booking in a reorg's gap, when its id does not exist, and finish it "not found"; the
    /// booking that takes its id on the new chain must be decided all the same when the watcher sees it.
    /// </summary>
    [Fact]
    public async Task A_booking_finished_not_found_in_a_reorgs_gap_is_woken_when_the_watcher_sees_its_replacement()
    {
        await using var chain = await EscrowChain.StartAsync();
        using var db = new TempDatabase();
        using var w = new WatcherUnderTest(chain, db.Db);
        var now = await chain.NowAsync();
        var snapshot = await chain.Anvil.SnapshotAsync();
        var lost = await chain.CreateBookingAsync(now + 3600);
        Assert.Equal(1, (await w.PollAsync()).Booked);
        await chain.Anvil.RevertAsync(snapshot);
        // Evaluated now, the id reads as no booking at all: settlement finishes it.
        w.Store.Schedule(lost.Id, null, "not found", now);
        Assert.Equal(new TrackedBooking(lost.Id, null, "not found"), w.Store.GetTracked(lost.Id));

        var replacement = await chain.CreateBookingAsync(now + 7200);
        Assert.Equal(lost.Id, replacement.Id);
        await chain.Anvil.MineBlocksAsync(3);
        Assert.True((await w.PollAsync()).Rewound > 0, "the reorg was not detected");
        var tracked = w.Store.GetTracked(replacement.Id);
        Assert.NotNull(tracked?.DueAtUnix);
        Assert.Equal("tracked", tracked!.LastDecision);

        // A finished booking with a recorded attestation is not woken by seeing it again.
        Assert.True(w.Store.TryRecordDecision(new StoredAttestation(replacement.Id, Outcome.Completed, 1, [1], Hash32.Zero, null, AttestationStatus.Mined, null, now, now)));
        w.Store.Schedule(replacement.Id, null, "Mined", now);
        Assert.False(w.Store.Track(replacement.Id, now + 1));
        Assert.Equal(new TrackedBooking(replacement.Id, null, "Mined"), w.Store.GetTracked(replacement.Id));
    }

    [Fact]
    public async Task A_booking_in_a_block_replaced_by_a_reorg_is_tracked_and_the_cursor_goes_back_only_to_the_common_ancestor()
    {
        await using var chain = await EscrowChain.StartAsync();
        using var db = new TempDatabase();
        using var w = new WatcherUnderTest(chain, db.Db);
        var now = await chain.NowAsync();
        var x = await chain.CreateBookingAsync(now + 3600);
        await chain.Anvil.MineBlocksAsync(3);
        Assert.Equal(1, (await w.PollAsync()).Booked);
        var firstEnd = await chain.Anvil.Eth.BlockNumberAsync();
        await chain.Anvil.MineBlocksAsync(4);
        var second = await w.PollAsync();
        Assert.Equal((1, 0, 0UL), (second.Pages, second.Booked, second.Rewound));
        var oldHead = second.NextBlock - 1;

        // A reorg of depth 3: the last three blocks read are replaced by three others, two of them with a booking.
        const ulong depth = 3;
        await chain.Anvil.RollbackAsync(depth);
        var y = await chain.CreateBookingAsync(now + 7200);
        await chain.Anvil.MineBlocksAsync(1);
        Assert.Equal(oldHead, await chain.Anvil.Eth.BlockNumberAsync());
        Assert.Null(w.Store.GetTracked(y.Id));

        var before = w.Rpc.Snapshot();
        var after = await w.PollAsync();
        Assert.True(after.Rewound >= depth, $"rewound {after.Rewound}");
        // The newest recorded block still on the chain is the first poll's last block.
        Assert.Equal(oldHead - firstEnd, after.Rewound);
        Assert.Equal((1, 1, oldHead + 1), (after.Pages, after.Booked, after.NextBlock));
        Assert.NotNull(w.Store.GetTracked(y.Id));
        Assert.NotNull(w.Store.GetTracked(x.Id));
        // eth_blockNumber, the last block read (changed), the recorded block before it (same), one page: its last block and its logs.
        var reorgPoll = w.Rpc.Snapshot().Since(before);
        Assert.Equal(1, reorgPoll.Count("eth_getLogs"));
        Assert.Equal(3, reorgPoll.Count("eth_getBlockByNumber"));
    }

    [Fact]
    public async Task A_poll_without_a_reorg_rewinds_nothing_and_a_quiet_one_costs_two_calls()
    {
        await using var chain = await EscrowChain.StartAsync();
        using var db = new TempDatabase();
        using var w = new WatcherUnderTest(chain, db.Db);
        var now = await chain.NowAsync();
        await chain.CreateBookingAsync(now + 3600);
        Assert.Equal(1, (await w.PollAsync()).Booked);

        var before = w.Rpc.Snapshot();
        var quiet = await w.PollAsync();
        var calls = w.Rpc.Snapshot().Since(before);
        Assert.Equal((0, 0UL), (quiet.Pages, quiet.Rewound));
        Assert.Equal(1, calls.Count("eth_blockNumber"));
        Assert.Equal(1, calls.Count("eth_getBlockByNumber"));
        Assert.Equal(2, calls.Requests);

        await chain.Anvil.MineBlocksAsync(3);
        await chain.CreateBookingAsync(now + 3600);
        before = w.Rpc.Snapshot();
        var more = await w.PollAsync();
        calls = w.Rpc.Snapshot().Since(before);
        Assert.Equal((1, 1, 0UL), (more.Pages, more.Booked, more.Rewound));
        // The reorg check, then one page: its last block's hash and its logs.
        Assert.Equal(4, calls.Requests);
        Assert.Empty(w.Log.Warnings);
    }

    [Fact]
    public async Task A_reorg_while_the_service_was_down_is_found_by_the_next_watcher_over_the_same_file()
    {
        await using var chain = await EscrowChain.StartAsync();
        using var db = new TempDatabase();
        var now = await chain.NowAsync();
        await chain.CreateBookingAsync(now + 3600);
        await chain.Anvil.MineBlocksAsync(3);
        ulong cursor;
        using (var before = new WatcherUnderTest(chain, db.Db))
        {
            cursor = (await before.PollAsync()).NextBlock;
        }

        // While no watcher runs: the last three blocks read are replaced, one of them with a booking.
        await chain.Anvil.RollbackAsync(3);
        var y = await chain.CreateBookingAsync(now + 7200);
        await chain.Anvil.MineBlocksAsync(1);
        Assert.Equal(cursor - 1, await chain.Anvil.Eth.BlockNumberAsync());

        using var after = new WatcherUnderTest(chain, db.Restart());
        Assert.Equal(cursor, after.Store.WatcherCursor());
        Assert.Null(after.Store.GetTracked(y.Id));
        var result = await after.PollAsync();
        Assert.True(result.Rewound > 0, "the reorg was not detected after the restart");
        // Back to the block before ESCROW_START_BLOCK (the only recorded block still on the chain): both bookings are read again.
        Assert.Equal(2, result.Booked);
        Assert.Equal(cursor, result.NextBlock);
        Assert.NotNull(after.Store.GetTracked(y.Id));
    }

    [Fact]
    public async Task A_reorg_deeper_than_the_recorded_hashes_rewinds_to_the_oldest_one_and_says_so()
    {
        await using var chain = await EscrowChain.StartAsync();
        using var db = new TempDatabase();
        using var w = new WatcherUnderTest(chain, db.Db, window: 2);
        var now = await chain.NowAsync();
        await chain.CreateBookingAsync(now + 3600);
        await w.PollAsync();
        await chain.Anvil.MineBlocksAsync(1);
        var oldest = (await w.PollAsync()).NextBlock - 1;
        await chain.Anvil.MineBlocksAsync(1);
        var cursor = (await w.PollAsync()).NextBlock;

        // Both recorded heights (the window is two) are replaced.
        await chain.Anvil.RollbackAsync(cursor - oldest);
        var y = await chain.CreateBookingAsync(now + 7200);
        await chain.Anvil.MineBlocksAsync(1);

        var result = await w.PollAsync();
        Assert.Equal(cursor - oldest, result.Rewound);
        Assert.Equal(1, result.Booked);
        Assert.NotNull(w.Store.GetTracked(y.Id));
        Assert.Contains(w.Log.Warnings, m => m.Contains("deeper than the 2 recorded block hashes", StringComparison.Ordinal) && m.Contains("the oldest recorded height", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sweep_endpoint_reports_how_many_blocks_a_reorg_rewound()
    {
        await using var chain = await EscrowChain.StartAsync();
        var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
        settings["ESCROW_START_BLOCK"] = chain.DeploymentBlock.ToString(CultureInfo.InvariantCulture);
        settings["SERVICE_TOKEN"] = ServiceToken;
        // The background loop polls once at start, then not again during the test: the sweeps see every reorg.
        settings["WATCH_INTERVAL_SECONDS"] = "3600";
        await using var api = new ApiHost(settings);
        using var client = api.Client();
        // Waits for the start's poll (the watcher polls one at a time).
        await SweepAsync(client);
        var now = await chain.NowAsync();
        var snapshot = await chain.Anvil.SnapshotAsync();
        await chain.CreateBookingAsync(now + 3600);
        var first = await SweepAsync(client);
        Assert.Equal(1, first.GetProperty("booked").GetInt32());
        Assert.Equal(0UL, first.GetProperty("rewound").GetUInt64());

        await chain.Anvil.RevertAsync(snapshot);
        await chain.CreateBookingAsync(now + 7200);
        var b = await chain.CreateBookingAsync(now + 7200);
        var after = await SweepAsync(client);
        Assert.True(after.GetProperty("rewound").GetUInt64() > 0, after.ToString());
        Assert.Equal(2, after.GetProperty("booked").GetInt32());
        Assert.NotNull(api.Services.GetRequiredService<SqliteSettlementStore>().GetTracked(b.Id));
    }

    private static async Task<System.Text.Json.JsonElement> SweepAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/attest-sweep");
        request.Headers.Add("X-Service-Token", ServiceToken);
        using var response = await client.SendAsync(request);
        var json = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("watch");
    }

    /// <summary>An <see cref="EscrowWatcher"/> as the service builds it, over the given database, with its calls to the node counted.</summary>
    private sealed class WatcherUnderTest : IDisposable
    {
        private readonly HttpClient _http;
        private readonly EscrowWatcher _watcher;

        public WatcherUnderTest(EscrowChain chain, SqliteDatabase db, int window = SqliteWatcherBlocks.DefaultWindow)
        {
            _http = new HttpClient(Rpc, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) };
            var escrow = new EscrowClient(new EthClient(new JsonRpcClient(_http, chain.Anvil.RpcUrl)), chain.EscrowAddress);
            var config = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
            config["ESCROW_START_BLOCK"] = chain.DeploymentBlock.ToString(CultureInfo.InvariantCulture);
            var settings = ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
            Store = new SqliteSettlementStore(db);
            _watcher = new EscrowWatcher(escrow, new SqliteWatcherStore(Store, new SqliteWatcherBlocks(db, window)), new StandaloneTracker(Store, TimeProvider.System),
                new WatcherOptions(settings.EscrowStartBlock, settings.LogPageSize), Log);
        }

        public RpcCounter Rpc { get; } = new();

        public SqliteSettlementStore Store { get; }

        public ListLogger Log { get; } = new();

        public Task<WatchResult> PollAsync() => _watcher.PollAsync(maxPages: 1000, CancellationToken.None);

        public void Dispose()
        {
            _watcher.Dispose();
            _http.Dispose();
            Rpc.Dispose();
        }
    }

    /// <summary>Keeps the watcher's warnings, formatted, so a test can check what it said.</summary>
    private sealed class ListLogger : ILogger<EscrowWatcher>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _warnings = new();

        public IReadOnlyCollection<string> Warnings => _warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                _warnings.Enqueue(formatter(state, exception));
            }
        }
    }
}
