using System.Net;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Testing.Daprd;

namespace SessionVoice.Api.Tests.Dapr;

/// <summary>
/// Two app instances in Dapr mode behind the strict daprd double, on anvil: what a scaled-out deployment must hold
/// that one instance cannot show — single use across replicas, one watcher, reminders that survive failures and
/// an oracle actor that moves.
/// </summary>
public class DaprClusterTests
{
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
    private static readonly PrivateKeySigner Stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static HttpRequestMessage Cron(string token) =>
        new(HttpMethod.Post, "/attest-sweep") { Headers = { { "dapr-api-token", token } } };

    [Fact]
    public async Task Both_instances_list_the_actor_types_and_the_sidecar_places_actors_on_both()
    {
        await using var cluster = await DaprCluster.StartAsync();
        foreach (var name in DaprCluster.Instances)
        {
            var sidecar = cluster.Sidecar(name);
            Assert.True(sidecar.AppHealthy, $"{name} healthy");
            Assert.Contains("BookingActor", sidecar.ActorTypes);
            Assert.Contains("OracleActor", sidecar.ActorTypes);
            Assert.Contains("SignInActor", sidecar.ActorTypes);
            Assert.Contains("WatcherActor", sidecar.ActorTypes);
        }
        // Placement by id spreads booking actors over both instances.
        var placed = Enumerable.Range(1, 64).Select(i => cluster.Daprd.PlacementOf("BookingActor", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToHashSet();
        Assert.Equal(["a", "b"], placed.Order());
    }

    [Fact]
    public async Task A_nonce_or_signed_message_used_on_one_instance_is_refused_on_the_other_and_after_both_restart()
    {
        await using var cluster = await DaprCluster.StartAsync();
        var a = cluster.Client("a");
        var b = cluster.Client("b");

        // A nonce issued by a is good on b (every instance checks the same MAC) ...
        var issued = (await (await a.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await b.PostJsonAsync("/auth/verify", new { wallet = Guest.Address.ToString(), nonce = issued, signature = PersonalMessage.Sign(issued, Guest).ToHex() })).StatusCode);

        // ... and a nonce used on a is refused on b.
        var nonce = (await (await a.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).JsonAsync()).GetProperty("nonce").GetString()!;
        var verify = new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() };
        Assert.Equal(HttpStatusCode.OK, (await a.PostJsonAsync("/auth/verify", verify)).StatusCode);
        await (await b.PostJsonAsync("/auth/verify", verify)).AssertErrorAsync(401, "invalid or expired nonce");

        // A signed-timestamp message used on b: its replay on a is refused.
        var message = $"heaven-session:{cluster.Time.GetUtcNow().ToUnixTimeSeconds() - 30}";
        var seed = new { wallet = Stranger.Address.ToString(), message, signature = PersonalMessage.Sign(message, Stranger).ToHex() };
        Assert.Equal(HttpStatusCode.OK, (await b.PostJsonAsync("/auth", seed)).StatusCode);
        await (await a.PostJsonAsync("/auth", seed)).AssertErrorAsync(401, "message already used");

        // Both instances restart (nothing is kept on their disks in Dapr mode): both replays are still refused.
        foreach (var name in DaprCluster.Instances)
        {
            await cluster.StopAppAsync(name);
        }
        foreach (var name in DaprCluster.Instances)
        {
            await cluster.StartAppAsync(name);
        }
        await (await cluster.Client("a").PostJsonAsync("/auth/verify", verify)).AssertErrorAsync(401, "invalid or expired nonce");
        await (await cluster.Client("b").PostJsonAsync("/auth/verify", verify)).AssertErrorAsync(401, "invalid or expired nonce");
        await (await cluster.Client("a").PostJsonAsync("/auth", seed)).AssertErrorAsync(401, "message already used");
        await (await cluster.Client("b").PostJsonAsync("/auth", seed)).AssertErrorAsync(401, "message already used");

        // The single-use records are in the actor state store, with a TTL, under the wallet's actor.
        Assert.Empty(cluster.Daprd.OverlappingTurns());
        Assert.All(cluster.Daprd.Turns.Where(t => t.ActorType == "SignInActor"), t => Assert.Equal("ok", t.Outcome));
    }

    [Fact]
    public async Task Two_cron_triggers_at_once_read_the_logs_once_and_track_each_booking_once()
    {
        await using var cluster = await DaprCluster.StartAsync(throughProxy: true);
        var proxy = cluster.Proxy!;
        var bookings = await cluster.Chain.CreateBookingsAsync(6, await cluster.Chain.NowAsync() + 600);
        var logsBefore = proxy.Forwarded("eth_getLogs");

        var ticks = await cluster.Daprd.TriggerCronAsync();
        Assert.Equal(2, ticks.Count);
        Assert.All(ticks, t => Assert.Equal(200, t.Status));

        // One watcher for the cluster: its turns ran one at a time, and the second sweep found nothing new to read.
        var watcherTurns = cluster.Daprd.Turns.Where(t => t.ActorType == "WatcherActor").ToList();
        Assert.NotEmpty(watcherTurns);
        Assert.Single(watcherTurns.Select(t => t.ActorId).Distinct());
        Assert.Empty(cluster.Daprd.OverlappingTurns());
        var logCalls = proxy.Forwarded("eth_getLogs") - logsBefore;
        var pagesRead = cluster.Daprd.Turns.Count(t => t.ActorType == "WatcherActor");
        Assert.True(logCalls <= 2, $"{logCalls} eth_getLogs calls for one range over {pagesRead} watcher turns");

        // Each booking handed to its actor once, and each has one Decide reminder.
        foreach (var booking in bookings)
        {
            var id = booking.Id.ToString();
            Assert.Single(cluster.Daprd.Turns, t => t.ActorType == "BookingActor" && t.ActorId == id && t.Name == "TrackAsync");
            Assert.Single(cluster.Daprd.Reminders, r => r.ActorType == "BookingActor" && r.ActorId == id && r.Name == "Decide");
        }

        // A third sweep a little later reads nothing new and tracks nobody again (the heal interval has not passed).
        var tracked = cluster.Daprd.Turns.Count(t => t.Name == "TrackAsync");
        var logsAfter = proxy.Forwarded("eth_getLogs");
        using var again = await cluster.Client("b").SendAsync(Cron(DaprCluster.AppToken));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(tracked, cluster.Daprd.Turns.Count(t => t.Name == "TrackAsync"));
        Assert.True(proxy.Forwarded("eth_getLogs") - logsAfter <= 1);
    }

    [Fact]
    public async Task An_unattended_booking_is_attested_by_its_reminder_with_no_call_to_attest()
    {
        await using var cluster = await DaprCluster.StartAsync();
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 120, durationMins: 10, graceMins: 2, minOverlapMins: 3);
        Assert.All(await cluster.Daprd.TriggerCronAsync(), t => Assert.Equal(200, t.Status));
        var reminder = Assert.Single(cluster.Daprd.Reminders, r => r.ActorId == booking.Id.ToString());

        // Nobody came: the reminders walk the booking to its end, where the decision is a host no-show.
        await cluster.PlayRemindersUntilAsync(booking.StartTime + 10 * 60 + 1);
        await cluster.WaitForAttestedAsync([booking], Wait);
        var onChain = await cluster.Chain.Escrow.GetBookingAsync(booking.Id);
        Assert.Equal(BookingStatus.Attested, onChain!.Status);
        Assert.Equal(Outcome.NoShowHost, onChain.OracleOutcome);
        Assert.Equal(1ul, await cluster.OracleNonceAsync());
        Assert.Empty(cluster.Daprd.OverlappingTurns());
        Assert.NotNull(reminder);
    }

    [Fact]
    public async Task A_decision_failing_for_ten_seconds_keeps_its_reminder_and_the_booking_is_still_attested_in_its_window()
    {
        await using var cluster = await DaprCluster.StartAsync(throughProxy: true);
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 120, durationMins: 10, graceMins: 2, minOverlapMins: 3);
        Assert.All(await cluster.Daprd.TriggerCronAsync(), t => Assert.Equal(200, t.Status));
        var end = booking.StartTime + 10 * 60;
        await cluster.PlayRemindersUntilAsync(end - 1);
        var id = booking.Id.ToString();
        var deliveredBefore = cluster.Daprd.ReminderDeliveries.Count(d => d.ActorId == id);

        // The node refuses every connection for 10 s from just before the decision is due.
        await cluster.Proxy!.RefuseAsync(TimeSpan.FromSeconds(10));
        var outageStarted = DateTimeOffset.UtcNow;
        cluster.Time.AdvanceMs((end + 1) * 1000 - cluster.Time.GetUtcNow().ToUnixTimeMilliseconds());
        // The decision fails (the booking cannot be read) and the actor counts it while the node is away.
        await DaprdDouble.WaitUntilAsync(() => cluster.Daprd.StateValue("BookingActor", id, "Failures") is not null, TimeSpan.FromSeconds(8), "a failed decision counted");
        Assert.False(cluster.Proxy.IsListening);
        await cluster.WaitForAttestedAsync([booking], Wait);

        // The callback answered 200 each time (it set the reminder again itself): the Scheduler never counted a
        // failure, so nothing was dropped, and the attestation is the right one.
        var during = cluster.Daprd.ReminderDeliveries.Where(d => d.ActorId == id).Skip(deliveredBefore).ToList();
        Assert.True(during.Count(d => d.At < outageStarted + TimeSpan.FromSeconds(10)) >= 2, string.Join("; ", during));
        Assert.All(during, d => Assert.True(d.Succeeded && !d.Dropped, d.ToString()));
        var onChain = await cluster.Chain.Escrow.GetBookingAsync(booking.Id);
        Assert.Equal(Outcome.NoShowHost, onChain!.OracleOutcome);
        Assert.Equal(1ul, await cluster.OracleNonceAsync());
        Assert.Empty(cluster.Daprd.OverlappingTurns());
    }

    [Fact]
    public async Task The_oracle_actor_moved_to_the_other_instance_between_send_and_receipt_still_sends_one_transaction()
    {
        await using var cluster = await DaprCluster.StartAsync();
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 120, durationMins: 10, graceMins: 2, minOverlapMins: 3);
        Assert.All(await cluster.Daprd.TriggerCronAsync(), t => Assert.Equal(200, t.Status));
        var end = booking.StartTime + 10 * 60;
        await cluster.PlayRemindersUntilAsync(end - 1);

        // Blocks stop: the attestation is sent but no receipt can come.
        await cluster.Chain.Anvil.SetAutomineAsync(false);
        await cluster.Chain.Anvil.SetNextBlockTimestampAsync(end + 1);
        cluster.Time.AdvanceMs((end + 1) * 1000 - cluster.Time.GetUtcNow().ToUnixTimeMilliseconds());
        var oracle = EscrowChain.Oracle.ToString();
        await DaprdDouble.WaitUntilAsync(
            () => cluster.Daprd.Turns.Any(t => t.ActorType == "OracleActor" && t.Name == "SubmitAsync" && t.Outcome == "ok"), Wait, "the attestation sent");
        var pending = await cluster.Chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Pending);
        Assert.Equal(1ul, pending);
        var sentOn = cluster.Daprd.PlacementOf("OracleActor", oracle)!;
        var other = sentOn == "a" ? "b" : "a";

        // Rebalancing moves the oracle actor while its transaction waits in the mempool; then a block comes.
        var checks = cluster.Daprd.ReminderDeliveries.Count(d => d.ActorId == booking.Id.ToString());
        cluster.Daprd.Move("OracleActor", oracle, other);
        // The booking checks its receipt meanwhile (on the node, not through the oracle actor).
        await DaprdDouble.WaitUntilAsync(() => cluster.Daprd.ReminderDeliveries.Count(d => d.ActorId == booking.Id.ToString()) > checks, Wait, "a check after the move");
        await cluster.Chain.Anvil.MineAsync();
        await cluster.Chain.Anvil.SetAutomineAsync(true);
        await cluster.WaitForAttestedAsync([booking], Wait);
        await DaprdDouble.WaitUntilAsync(
            () => cluster.Daprd.StateValue("BookingActor", booking.Id.ToString(), "Attestation") is { } a && (a.Contains("\"Mined\"", StringComparison.Ordinal) || a.Contains("\"Final\"", StringComparison.Ordinal)),
            Wait, "the booking actor seeing its attestation mined");

        // One transaction from the key, the new host checked it, and no turn waited for the block.
        Assert.Equal(1ul, await cluster.OracleNonceAsync());
        Assert.Contains(cluster.Daprd.Turns, t => t.ActorType == "OracleActor" && t.Instance == other);
        Assert.All(cluster.Daprd.Turns.Where(t => t.ActorType == "OracleActor"), t => Assert.True(t.Duration < TimeSpan.FromSeconds(2), t.ToString()));
        Assert.Empty(cluster.Daprd.OverlappingTurns());
    }

    [Fact]
    public async Task Five_thousand_webhook_events_for_one_booking_through_its_actor_cost_the_same_per_event_at_the_end_as_at_the_start()
    {
        const int Events = 5_000, Chunk = 500;
        await using var cluster = await DaprCluster.StartAsync(extraSettings: new Dictionary<string, string?> { ["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret });
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 120, durationMins: 30, graceMins: 5, minOverlapMins: 10);
        var (hostUid, _) = Core.Agora.AgoraUid.ForParticipants(booking.Host, booking.Guest);
        var channel = $"heaven-6343-{booking.Id}";
        var clients = DaprCluster.Instances.Select(cluster.Client).ToArray();

        // Agora's notices arrive at either instance; a host flapping in and out, each event its own notice.
        var perEventMs = new List<double>();
        var perEventBytes = new List<double>();
        for (var chunk = 0; chunk < Events / Chunk; chunk++)
        {
            var bytesBefore = cluster.Daprd.StateBytesWritten;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var i = chunk * Chunk; i < (chunk + 1) * Chunk; i++)
            {
                var body = Webhooks.Body(i % 2 == 0 ? 103 : 104, channel, hostUid, booking.StartTime + i % 600, clientSeq: i + 1, noticeId: $"flap-{i}", reason: i % 2 == 0 ? null : 1);
                using var response = await Webhooks.PostAsync(clients[i % 2], body);
                Assert.True(response.IsSuccessStatusCode, $"event {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
            perEventMs.Add(watch.Elapsed.TotalMilliseconds / Chunk);
            perEventBytes.Add((cluster.Daprd.StateBytesWritten - bytesBefore) / (double)Chunk);
        }

        // Every event stored once, in bounded pages; ingest per event flat: the last thousand cost what the first did.
        var state = await cluster.Client("a").GetAsync($"/session/{booking.Id}/stats", await cluster.Client("a").SignInAsync(AnvilAccounts.Signer(AnvilAccounts.Host)));
        Assert.True(state.IsSuccessStatusCode);
        Assert.Equal(Events.ToString(System.Globalization.CultureInfo.InvariantCulture), cluster.Daprd.StateValue("BookingActor", booking.Id.ToString(), "Observed:count"));
        // What the state store is made to write per event (ingest, wake-ups and the decisions they cause), by chunk: the
        // measure of work that does not move with the machine's load. A store that rewrote the whole list per event would
        // write ten times as much per event in the last chunk as in the first. Wall time per event is reported beside it.
        static double Median(IEnumerable<double> xs) => xs.Order().ElementAt(1);
        var first = Median(perEventBytes.Take(3));
        var last = Median(perEventBytes.TakeLast(3));
        static string Figures(IEnumerable<double> xs) => string.Join(", ", xs.Select(x => x.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.True(last <= 1.5 * first,
            $"state bytes written per event by chunk of {Chunk}: {Figures(perEventBytes)}; ms per event: {Figures(perEventMs)}");
        Assert.Empty(cluster.Daprd.OverlappingTurns());
    }

    [Fact]
    public async Task A_webhook_notice_marker_expires_in_the_state_store_after_the_retention_and_a_resend_is_still_stored_once()
    {
        await using var cluster = await DaprCluster.StartAsync(extraSettings: new Dictionary<string, string?>
        {
            ["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret,
            ["WEBHOOK_NOTICE_RETENTION_HOURS"] = "72",
            // Three days pass on the clocks: no attestation is wanted from this test.
            ["ORACLE_PRIVATE_KEY"] = null,
        });
        var booking = await cluster.Chain.CreateBookingAsync(await cluster.Chain.NowAsync() + 120, durationMins: 10, graceMins: 2, minOverlapMins: 3);
        var (hostUid, _) = Core.Agora.AgoraUid.ForParticipants(booking.Host, booking.Guest);
        var body = Webhooks.Body(103, $"heaven-6343-{booking.Id}", hostUid, cluster.Time.GetUtcNow().ToUnixTimeSeconds(), clientSeq: 1, noticeId: "dapr-notice-1");
        async Task<bool> StoredAsync(string instance)
        {
            using var response = await Webhooks.PostAsync(cluster.Client(instance), body);
            var json = await response.JsonAsync();
            Assert.True(response.IsSuccessStatusCode, json.ToString());
            return json.GetProperty("stored").GetBoolean();
        }
        var actor = booking.Id.ToString();
        Assert.True(await StoredAsync("a"));
        Assert.NotNull(cluster.Daprd.StateValue("BookingActor", actor, "Observed:notice:dapr-notice-1"));

        // Past the retention the state store has dropped the notice marker (its TTL); the event and its (uid, clientSeq) marker stay.
        cluster.Time.AdvanceMs((long)TimeSpan.FromHours(73).TotalMilliseconds);
        Assert.Null(cluster.Daprd.StateValue("BookingActor", actor, "Observed:notice:dapr-notice-1"));
        Assert.NotNull(cluster.Daprd.StateValue("BookingActor", actor, $"Observed:seq:{hostUid}:1"));
        Assert.False(await StoredAsync("b"));
        Assert.False(await StoredAsync("a"));
        Assert.Equal("1", cluster.Daprd.StateValue("BookingActor", actor, "Observed:count"));
        Assert.Empty(cluster.Daprd.OverlappingTurns());
    }
}
