using System.Numerics;
using System.Text.Json;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Settlement;

/// <summary>
/// Settlement on a hostile chain, end to end, with nobody calling /attest: an RPC that refuses, black-holes or
/// loses answers (through <see cref="RpcFaultProxy"/>), a reorg that removes a mined attestation, an oracle without
/// funds, and forced outcomes the contract refuses. Booking: starts 2 min after creation, 10 min long, grace 2 min,
/// minimum overlap 3 min, so G = S + 2 min, Dl = G + D − margin = S + 10 min and the no-show window closes at S + 12 min.
/// </summary>
public class SettlementFaultTests
{
    private static readonly Dictionary<string, string?> ShortRpcTimeout = new() { ["RPC_TIMEOUT_SECONDS"] = "2" };

    private static long Dl(SettlementScenario s) => s.Start + 10 * 60;

    private static long NoShowCloses(SettlementScenario s) => s.Start + 12 * 60;

    [Fact]
    public async Task An_rpc_refused_for_ten_seconds_across_Dl_is_still_attested_inside_the_window()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: ShortRpcTimeout, throughProxy: true);
        // Nobody came: the watcher tracks the booking and the policy waits for Dl.
        await WaitUntilAsync(() => Store(s).GetTracked(s.Booking.Id) is { LastDecision: not "tracked" }, "the booking tracked and decided once");
        await s.PlayUntilAsync(Dl(s) - 30);
        await s.Proxy!.RefuseAsync();
        // More than the booking cache's 15 s later: the evaluation at Dl has to read the chain, and cannot.
        await s.AdvanceToAsync(Dl(s));
        Assert.True(await FailsWhileFaultedAsync(s, TimeSpan.FromSeconds(10)), "the evaluation at Dl should have failed while the node refused");
        await s.Proxy.HealAsync(RpcFault.Refuse);

        await s.AssertAttestedAsync(Outcome.NoShowHost);
        await AssertMinedInsideTheWindowAsync(s);
    }

    [Fact]
    public async Task An_rpc_black_holed_for_a_minute_with_ninety_seconds_of_window_left_is_still_attested()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: ShortRpcTimeout, throughProxy: true);
        await WaitUntilAsync(() => Store(s).GetTracked(s.Booking.Id) is { LastDecision: not "tracked" }, "the booking tracked and decided once");
        await s.PlayUntilAsync(Dl(s) - 30);
        s.Proxy!.BlackHole();
        await s.AdvanceToAsync(Dl(s) + 20);
        Assert.True(await FailsWhileFaultedAsync(s, TimeSpan.FromSeconds(10)), "the evaluation should have failed while the node black-holed");
        Assert.True(s.Proxy.Faulted(RpcFault.BlackHole) > 0);
        // 60 s of service time without an answer; 90 s of the no-show window are left.
        await s.Proxy.HealAsync(RpcFault.BlackHole);

        await s.AssertAttestedAsync(Outcome.NoShowHost);
        await AssertMinedInsideTheWindowAsync(s);
    }

    [Fact]
    public async Task A_lost_answer_to_the_attestation_send_still_makes_one_transaction()
    {
        await using var s = await SettlementScenario.StartAsync(throughProxy: true);
        s.Proxy!.LoseAnswer("eth_sendRawTransaction", times: 1);
        var before = await s.OracleNonceAsync();
        await s.JoinAsync(s.GuestToken);
        await s.PlayUntilAsync(s.Start + 2 * 60 + 31);

        await s.AssertAttestedAsync(Outcome.NoShowHost);
        Assert.Equal(1, s.Proxy.Faulted(RpcFault.LoseAnswer, "eth_sendRawTransaction"));
        // Once final the service is done with the booking: whatever it would have sent again, it has sent by then.
        await WaitForStatusAsync(s, "final", mineWhileWaiting: true);
        Assert.Equal(before + 1, await s.OracleNonceAsync());
        Assert.Single(await AttestedEventsAsync(s, 0));
    }

    [Fact]
    public async Task A_reorg_that_removes_a_mined_attestation_gets_the_same_transaction_again_once()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.JoinAsync(s.GuestToken);
        await s.PlayUntilAsync(s.Start + 2 * 60 + 29);
        var snapshot = await s.Chain.Anvil.SnapshotAsync();
        var forkBlock = await s.Chain.Anvil.Eth.BlockNumberAsync();
        var before = await s.OracleNonceAsync();

        await s.AdvanceToAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowHost);
        var first = (await s.StatsAsync()).GetProperty("attestation").GetProperty("tx_hash").GetString()!;

        // The block with the attestation leaves the canonical chain: the booking is Booked again.
        await s.Chain.Anvil.RevertAsync(snapshot);
        Assert.Equal(BookingStatus.Booked, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.Status);

        await s.AssertAttestedAsync(Outcome.NoShowHost);
        await WaitForStatusAsync(s, "final", mineWhileWaiting: true);
        var stats = await s.StatsAsync();
        Assert.Equal(first, stats.GetProperty("attestation").GetProperty("tx_hash").GetString());
        Assert.Equal(before + 1, await s.OracleNonceAsync());
        var attested = Assert.Single(await AttestedEventsAsync(s, forkBlock));
        Assert.Equal(Hash32.Parse(first), attested.Log.TransactionHash);
    }

    [Fact]
    public async Task An_oracle_without_funds_makes_the_service_unready_with_the_reason_until_it_is_funded()
    {
        await using var s = await SettlementScenario.StartAsync();
        await SetOracleBalanceAsync(s, BigInteger.Zero);
        Assert.Equal(200, (int)(await s.Client.GetAsync("/health/ready")).StatusCode);
        await s.JoinAsync(s.GuestToken);
        await s.PlayUntilAsync(s.Start + 2 * 60 + 31);

        var unready = await WaitForReadyStatusAsync(s, 503);
        Assert.Contains("insufficient funds", unready.GetProperty("error").GetString(), StringComparison.Ordinal);
        var oracle = unready.GetProperty("oracle");
        Assert.Equal(EscrowChain.Oracle.ToChecksumString(), oracle.GetProperty("address").GetString());
        Assert.Equal("0", oracle.GetProperty("balanceWei").GetString());
        Assert.Equal(1, oracle.GetProperty("pending").GetInt32());
        Assert.Equal("insufficient funds", oracle.GetProperty("lastError").GetString());
        var attest = await (await s.AttestAsync()).JsonAsync();
        Assert.Equal("pending", attest.GetProperty("status").GetString());
        Assert.Equal("insufficient funds", attest.GetProperty("reason").GetString());
        Assert.Equal(BookingStatus.Booked, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.Status);

        await SetOracleBalanceAsync(s, BigInteger.Pow(10, 19));
        await s.AssertAttestedAsync(Outcome.NoShowHost);
        var ready = await WaitForReadyStatusAsync(s, 200);
        Assert.Equal(0, ready.GetProperty("oracle").GetProperty("pending").GetInt32());
        Assert.False(ready.GetProperty("oracle").GetProperty("lastErrorCurrent").GetBoolean());
    }

    [Fact]
    public async Task A_force_the_contract_refuses_is_not_stored_and_the_normal_decision_follows()
    {
        await using var s = await SettlementScenario.StartAsync(extraSettings: new Dictionary<string, string?> { ["ALLOW_FORCE_OUTCOME"] = "1" });
        await s.JoinAsync(s.GuestToken);
        await s.AdvanceToAsync(s.Start + 60);

        await (await s.AttestAsync("?force_outcome=no-show-guest")).AssertErrorAsync(409, "forced outcome refused: grace not over");
        Assert.Equal(JsonValueKind.Null, (await s.StatsAsync()).GetProperty("attestation").ValueKind);
        var audit = Assert.Single(Store(s).AuditFor(s.Booking.Id));
        Assert.Equal("no-show-guest: refused: grace not over", audit.Detail);

        await s.PlayUntilAsync(s.Start + 2 * 60 + 31);
        await s.AssertAttestedAsync(Outcome.NoShowHost);
        Assert.Equal("2", (await s.StatsAsync()).GetProperty("metrics").GetProperty("fields").GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_corrective_force_replaces_a_forced_outcome_only_while_nothing_was_sent_for_it()
    {
        await using var s = await SettlementScenario.StartAsync(minOverlapMins: 0, extraSettings: new Dictionary<string, string?> { ["ALLOW_FORCE_OUTCOME"] = "1" });
        await SetOracleBalanceAsync(s, BigInteger.Zero);
        await s.JoinAsync(s.GuestToken);
        // After G, before the policy's own ruling at G + settle.
        await s.AdvanceToAsync(s.Start + 2 * 60 + 5);

        var wrong = await (await s.AttestAsync("?force_outcome=no-show-guest")).JsonAsync();
        Assert.Equal("pending", wrong.GetProperty("status").GetString());
        Assert.Equal("insufficient funds", wrong.GetProperty("reason").GetString());
        var corrected = await (await s.AttestAsync("?force_outcome=completed")).JsonAsync();
        Assert.Equal("completed", corrected.GetProperty("outcome").GetString());

        await SetOracleBalanceAsync(s, BigInteger.Pow(10, 19));
        await s.AssertAttestedAsync(Outcome.Completed);
        // Sent now: a further force is refused and changes nothing.
        await (await s.AttestAsync("?force_outcome=no-show-host")).AssertErrorAsync(409, "forced outcome refused: a decision already stands: Completed (mined)");
        Assert.Equal(
            ["no-show-guest: accepted", "completed: accepted", "no-show-host: refused: a decision already stands: Completed (mined)"],
            Store(s).AuditFor(s.Booking.Id).Select(a => a.Detail));
        Assert.Equal(Outcome.Completed, (await s.Chain.Escrow.GetBookingAsync(s.Booking.Id))!.OracleOutcome);
    }

    [Fact]
    public async Task A_booking_made_in_a_block_a_reorg_replaced_is_tracked_and_settled()
    {
        await using var s = await SettlementScenario.StartAsync();
        await s.PlayUntilAsync(s.Start - 60);
        var snapshot = await s.Chain.Anvil.SnapshotAsync();
        var lost = await s.Chain.CreateBookingAsync(s.Start, 10, 2, 3);
        await WaitUntilAsync(() => Store(s).GetTracked(lost.Id) is not null, "the first booking tracked");
        await s.Chain.Anvil.RevertAsync(snapshot);

        // The re-mined chain has another booking in its place, and grows past the watcher's cursor.
        var replacement = await s.Chain.CreateBookingAsync(s.Start + 30, 10, 2, 3);
        await s.Chain.Anvil.MineBlocksAsync(3);
        await WaitUntilAsync(() => Store(s).GetTracked(replacement.Id) is { DueAtUnix: not null } tracked && tracked.LastDecision != "tracked", "the replacement tracked and decided");

        await s.PlayUntilAsync(replacement.StartTime + 10 * 60);
        var onChain = await WaitForChainStatusAsync(s, replacement.Id, BookingStatus.Attested);
        Assert.Equal(Outcome.NoShowHost, onChain.OracleOutcome);
    }

    private static SqliteSettlementStore Store(SettlementScenario s) => (SqliteSettlementStore)s.Api.Services.GetService(typeof(SqliteSettlementStore))!;

    private static async Task AssertMinedInsideTheWindowAsync(SettlementScenario s)
    {
        var stats = await s.StatsAsync();
        var receipt = await s.Chain.Anvil.Eth.GetTransactionReceiptAsync(Hash32.Parse(stats.GetProperty("attestation").GetProperty("tx_hash").GetString()!));
        var block = await s.Chain.Anvil.Eth.GetBlockAsync(BlockTag.Number(receipt!.BlockNumber));
        Assert.InRange((long)block!.Timestamp, s.Start + 2 * 60, NoShowCloses(s));
    }

    private static async Task<List<Attested>> AttestedEventsAsync(SettlementScenario s, ulong fromBlock) =>
        [.. (await s.Chain.Escrow.GetEventsAsync(fromBlock, await s.Chain.Anvil.Eth.BlockNumberAsync())).OfType<Attested>().Where(a => a.BookingId == s.Booking.Id)];

    /// <summary>Waits out the fault, watching the schedule: true when an evaluation failed (and was rescheduled) meanwhile.</summary>
    private static async Task<bool> FailsWhileFaultedAsync(SettlementScenario s, TimeSpan duration)
    {
        var failed = false;
        var until = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < until)
        {
            failed |= Store(s).GetTracked(s.Booking.Id)?.LastDecision.StartsWith("evaluation failed", StringComparison.Ordinal) == true;
            await Task.Delay(100);
        }
        return failed;
    }

    private static async Task SetOracleBalanceAsync(SettlementScenario s, BigInteger wei) =>
        await s.Chain.Anvil.RawAsync("anvil_setBalance", EscrowChain.Oracle.ToString(), Hex.EncodeQuantity(wei));

    private static async Task<JsonElement> WaitForReadyStatusAsync(SettlementScenario s, int status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var response = await s.Client.GetAsync("/health/ready");
            if ((int)response.StatusCode == status)
            {
                return await response.JsonAsync();
            }
            Assert.True(DateTime.UtcNow < deadline, $"/health/ready never answered {status}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(100);
        }
    }

    private static async Task WaitForStatusAsync(SettlementScenario s, string status, bool mineWhileWaiting)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await s.StatsAsync()).GetProperty("attestation") is var a && (a.ValueKind != JsonValueKind.Object || a.GetProperty("status").GetString() != status))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the attestation never became {status}: {await s.StatsAsync()}");
            if (mineWhileWaiting)
            {
                await s.Chain.Anvil.MineBlocksAsync(1);
            }
            await Task.Delay(100);
        }
    }

    private static async Task<Booking> WaitForChainStatusAsync(SettlementScenario s, BookingId id, BookingStatus status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (await s.Chain.Escrow.GetBookingAsync(id) is { } booking && booking.Status == status)
            {
                return booking;
            }
            Assert.True(DateTime.UtcNow < deadline, $"booking {id} never became {status}");
            await Task.Delay(100);
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(30), what);
}

public class SettlementRetryTests
{
    [Fact]
    public void A_failed_evaluation_is_tried_again_at_the_next_tick_then_within_seconds_never_later_than_five()
    {
        Assert.Equal([0L, 0, 1, 2, 4, 5, 5, 5], Enumerable.Range(0, 8).Select(Core.Sessions.Settlement.EvaluationRetry.DelaySeconds));
        Assert.Equal(5, Core.Sessions.Settlement.EvaluationRetry.DelaySeconds(int.MaxValue));
    }
}
