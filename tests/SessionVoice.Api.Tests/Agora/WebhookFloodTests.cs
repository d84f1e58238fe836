using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Testing;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Api.Tests.Agora;

/// <summary>
/// Correctly signed webhooks for channels of bookings that do not exist: acknowledged (Agora resends anything that is
/// not a 200), never stored, never tracked, and nearly free on the node. And notice ids forgotten after the retention.
/// </summary>
public class WebhookFloodTests
{
    private const int Flood = 20_000;
    private const int Concurrency = 16;

    /// <summary>Largest ts the parser accepts (2^40 − 1): far past any slot, it counts for nothing.</summary>
    private const long MaxTs = (1L << 40) - 1;

    [Fact]
    public async Task Twenty_thousand_signed_webhooks_for_bookings_that_do_not_exist_are_acknowledged_and_leave_nothing_behind()
    {
        await using var chain = await EscrowChain.StartAsync();
        var time = new ShiftedTime();
        using var rpc = new RpcCounter();
        var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
        settings["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret;
        settings["ESCROW_START_BLOCK"] = chain.DeploymentBlock.ToString(CultureInfo.InvariantCulture);
        settings["SCHEDULER_INTERVAL_MS"] = "100";
        await using var api = new ApiHost(settings, time, services =>
        {
            services.RemoveAll<HttpClient>();
            services.AddSingleton(new HttpClient(rpc, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) });
        });
        using var client = api.Client();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 60, durationMins: 10, graceMins: 2, minOverlapMins: 3);
        var (hostUid, _) = AgoraUid.ForParticipants(booking.Host, booking.Guest);
        var channel = $"heaven-6343-{booking.Id}";
        var observed = api.Services.GetRequiredService<SqliteObservedStore>();
        var db = api.Services.GetRequiredService<SqliteDatabase>();
        var now = time.GetUtcNow().ToUnixTimeSeconds();

        // A real booking: an event in its slot is stored (the path works), ts = 0 and ts = 2^40 − 1 are acknowledged and dropped.
        Assert.True(await StoredAsync(client, Webhooks.Body(103, channel, hostUid, now, clientSeq: 1)));
        Assert.False(await StoredAsync(client, Webhooks.Body(103, channel, hostUid, 0, clientSeq: 2)));
        Assert.False(await StoredAsync(client, Webhooks.Body(104, channel, hostUid, MaxTs, clientSeq: 3, reason: 1)));
        Assert.False(await StoredAsync(client, Webhooks.Body(104, channel, hostUid, MaxTs, clientSeq: 4, reason: 1, noticeId: "far-future")));
        var realEvents = observed.List(booking.Id);
        Assert.Equal([1L], realEvents.Select(e => e.ClientSeq));
        Assert.Equal(now, realEvents[0].TsSeconds);
        Assert.Equal(1, observed.CountNotices());

        var firstMissing = (long)await chain.Escrow.NextBookingIdAsync();
        var noticesBefore = observed.CountNotices();
        var rpcBefore = rpc.Snapshot();
        var failures = new ConcurrentQueue<string>();
        var slowest = new long[Concurrency];
        using var flood = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency }) { BaseAddress = client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; i < Flood; i += Concurrency)
            {
                // Each its own booking id above nextBookingId, each a join or a leave at a time that would count for a real slot.
                var id = firstMissing + i;
                var body = i % 2 == 0
                    ? Webhooks.Body(103, $"heaven-6343-{id}", (uint)(1000 + i), now, clientSeq: i + 1)
                    : Webhooks.Body(104, $"heaven-6343-{id}", (uint)(1000 + i), now, clientSeq: i + 1, reason: 1);
                var started = Stopwatch.GetTimestamp();
                using var response = await Webhooks.PostAsync(flood, body);
                var text = await response.Content.ReadAsStringAsync();
                slowest[worker] = Math.Max(slowest[worker], (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!IsIgnoredAck(response, text) && failures.Count < 10)
                {
                    failures.Enqueue($"booking {id}: {(int)response.StatusCode} {response.Content.Headers.ContentType} {text}");
                }
            }
        })));
        watch.Stop();
        var traffic = rpc.Snapshot().Since(rpcBefore);

        // Every answer is Agora's 200 with {"ok":true,"stored":false}, well inside Agora's 10 s.
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures));
        Assert.True(slowest.Max() < 10_000, $"slowest answer {slowest.Max()} ms");
        // Ids at or past nextBookingId need no eth_call each: the whole flood costs at most 1 % of its size in node requests.
        var methods = string.Join(", ", traffic.Methods.Where(m => m.Value > 0).Select(m => $"{m.Key} {m.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Flood} webhooks in {watch.Elapsed.TotalSeconds:0.0} s ({Flood / watch.Elapsed.TotalSeconds:0} per s, slowest {slowest.Max()} ms): {traffic.Requests} RPC requests ({methods})");
        Assert.True(traffic.Requests <= Flood / 100, $"{traffic.Requests} RPC requests for {Flood} webhooks in {watch.Elapsed.TotalSeconds:0.0} s: {methods}");

        // Nothing kept for them: no event, no notice id, no schedule, attestation or audit row.
        Assert.Equal(noticesBefore, observed.CountNotices());
        Assert.Equal([1L], observed.List(booking.Id).Select(e => e.ClientSeq));
        foreach (var table in new[] { "observed", "tracked", "attestations", "audit" })
        {
            Assert.Empty(BookingIdsAtOrPast(db, table, firstMissing));
        }
        Assert.Empty(observed.List(BookingId.Parse(firstMissing.ToString(CultureInfo.InvariantCulture))));
        Assert.Empty(observed.List(BookingId.Parse((firstMissing + Flood - 1).ToString(CultureInfo.InvariantCulture))));
        // The service still serves the real booking afterwards.
        Assert.True(await StoredAsync(client, Webhooks.Body(104, channel, hostUid, now + 30, clientSeq: 5, reason: 1)));
    }

    [Fact]
    public async Task Notice_ids_older_than_the_retention_are_pruned_and_a_resend_of_a_pruned_notice_is_still_not_counted_twice()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: new Dictionary<string, string?>
        {
            ["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret,
            ["WEBHOOK_NOTICE_RETENTION_HOURS"] = "72",
            // Three days pass on the service's clock: no attestation is wanted from this test.
            ["ORACLE_PRIVATE_KEY"] = null,
        });
        var (hostUid, guestUid) = AgoraUid.ForParticipants(s.Booking.Host, s.Booking.Guest);
        var channel = $"heaven-6343-{s.Booking.Id}";
        var observed = s.Api.Services.GetRequiredService<SqliteObservedStore>();
        var pruning = s.Api.Services.GetRequiredService<WebhookNoticePruning>();
        var t0 = s.Time.GetUtcNow().ToUnixTimeSeconds();
        var hostJoin = Webhooks.Body(103, channel, hostUid, t0, clientSeq: 1, noticeId: "old-1");
        var guestJoin = Webhooks.Body(107, channel, guestUid, t0, clientSeq: 1, noticeId: "old-2");
        Assert.True(await StoredAsync(s.Client, hostJoin));
        Assert.True(await StoredAsync(s.Client, guestJoin));
        Assert.False(await StoredAsync(s.Client, hostJoin));
        Assert.Equal(2, observed.CountNotices());

        // 71 h later (inside the retention) a new notice arrives; the prune that the clock's move makes due keeps all three.
        await WaitUntilAsync(() => pruning.Runs >= 1, TimeSpan.FromSeconds(10), "pruned once at start");
        var runs = pruning.Runs;
        var hostLeave = Webhooks.Body(104, channel, hostUid, t0 + 60, clientSeq: 2, noticeId: "recent-1", reason: 1);
        s.Time.AdvanceMs((long)TimeSpan.FromHours(71).TotalMilliseconds);
        Assert.True(await StoredAsync(s.Client, hostLeave));
        await WaitUntilAsync(() => pruning.Runs > runs, TimeSpan.FromSeconds(10), "pruned after 71 h");
        Assert.Equal(3, observed.CountNotices());

        // 73 h after the first two: they are past the retention and go at the next prune; the recent one stays.
        runs = pruning.Runs;
        s.Time.AdvanceMs((long)TimeSpan.FromHours(2).TotalMilliseconds);
        await WaitUntilAsync(() => pruning.Runs > runs, TimeSpan.FromSeconds(10), "pruned after 73 h");
        Assert.Equal(1, observed.CountNotices());
        using (var connection = s.Api.Services.GetRequiredService<SqliteDatabase>().OpenRead())
        using (var command = SqliteDatabase.Command(connection, "SELECT notice_id FROM webhook_notices"))
        {
            Assert.Equal("recent-1", command.ExecuteScalar());
        }

        // Agora resends the pruned notices: acknowledged, and the events are still there once each.
        Assert.False(await StoredAsync(s.Client, hostJoin));
        Assert.False(await StoredAsync(s.Client, guestJoin));
        Assert.False(await StoredAsync(s.Client, hostLeave));
        Assert.Equal(["old-1", "old-2", "recent-1"], observed.List(s.Booking.Id).Select(e => e.NoticeId).Order(StringComparer.Ordinal));
        // The resends put their notice ids back (received now): a second resend is caught by its notice id again.
        Assert.Equal(3, observed.CountNotices());
    }

    [Fact]
    public async Task A_prune_deletes_in_bounded_indexed_steps_and_keeps_newer_notice_ids_and_every_event()
    {
        using var temp = new TempDatabase();
        _ = new SqliteSettlementStore(temp.Db);
        var observed = new SqliteObservedStore(temp.Db);
        var booking = BookingId.Parse("3");
        const int Old = 2 * SqliteObservedStore.PruneBatch + 250, Recent = 10;
        for (var i = 0; i < Old + Recent; i++)
        {
            Assert.True(await observed.IngestAsync(booking, new ObservedEvent($"n-{i}", 7, i, 1_800_000_000, true, null), i < Old ? 1_000 : 9_000));
        }
        using (var connection = temp.Db.OpenRead())
        using (var plan = SqliteDatabase.Command(connection,
            "EXPLAIN QUERY PLAN SELECT notice_id FROM webhook_notices WHERE received_at_ms < 5000 ORDER BY received_at_ms LIMIT 500"))
        using (var steps = plan.ExecuteReader())
        {
            // The prune finds old rows through the index on received_at_ms, not by scanning every notice id.
            Assert.True(steps.Read());
            Assert.Contains("webhook_notices_received", steps.GetString(3), StringComparison.Ordinal);
        }

        var commits = temp.Db.Queue.Commits;
        Assert.Equal(Old, await observed.PruneNoticesAsync(5_000, CancellationToken.None));
        // One write per 500 rows (the last one short), each its own turn of the writer.
        Assert.Equal(3, temp.Db.Queue.Commits - commits);
        Assert.Equal(Recent, observed.CountNotices());
        Assert.Equal(0, await observed.PruneNoticesAsync(5_000, CancellationToken.None));
        Assert.Equal(Old + Recent, observed.List(booking).Count);
        // A resend of a forgotten notice: acknowledged as known by its (booking, uid, clientSeq), not stored again.
        Assert.False(await observed.IngestAsync(booking, new ObservedEvent("n-0", 7, 0, 1_800_000_000, true, null), 10_000));
        Assert.Equal(Old + Recent, observed.List(booking).Count);
    }

    private static async Task<bool> StoredAsync(HttpClient client, string body)
    {
        using var response = await Webhooks.PostAsync(client, body);
        var json = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        Assert.True(json.GetProperty("ok").GetBoolean());
        return json.GetProperty("stored").GetBoolean();
    }

    private static bool IsIgnoredAck(HttpResponseMessage response, string text)
    {
        if ((int)response.StatusCode != 200 || response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return false;
        }
        try
        {
            using var json = JsonDocument.Parse(text);
            return json.RootElement.GetProperty("ok").GetBoolean() && !json.RootElement.GetProperty("stored").GetBoolean();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The table's booking ids at or past <paramref name="first"/> (ids are stored as decimal text).</summary>
    private static List<string> BookingIdsAtOrPast(SqliteDatabase db, string table, long first)
    {
        using var connection = db.OpenRead();
        using var command = SqliteDatabase.Command(connection, $"SELECT DISTINCT booking_id FROM {table}");
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n >= first)
            {
                ids.Add($"{table}: {id}");
            }
        }
        return ids;
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => Poll.UntilAsync(condition, timeout, what);
}
