using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using static SessionVoice.Core.Tests.Submission.SubmitterTestKit;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Core.Tests.Submission;

/// <summary>Tests that move chain time or stop mining, so each owns its anvil.</summary>
public class OracleSubmitterChainControlTests
{
    [Fact]
    public async Task A_no_show_before_grace_end_is_NotDueYet_and_succeeds_once_chain_time_gets_there()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() + 30, durationMins: 10, graceMins: 2, minOverlapMins: 5);
        var store = new InMemoryAttestationTxStore();
        var submitter = Submitter(chain, store);
        var request = new AttestationRequest(booking.Id, Outcome.NoShowGuest, Metrics);
        var nonce = await NonceAsync(chain);

        var early = await submitter.DriveAsync(request, default);

        Assert.Equal(EscrowErrorKind.GraceNotOver, Assert.IsType<SubmissionResult.NotDueYet>(early).Error.Kind);
        Assert.Equal(nonce, await NonceAsync(chain));
        Assert.Null(await store.GetAsync(booking.Id, default));

        // "pending" is the next block: from grace end on, every block is inside the no-show window.
        await chain.Anvil.SetNextBlockTimestampAsync(booking.StartTime + 120);
        await chain.Anvil.MineAsync();
        var due = await submitter.DriveAsync(request, default);

        Assert.IsType<SubmissionResult.Mined>(due);
        Assert.Equal(nonce + 1, await NonceAsync(chain));
        var onChain = await BookingAsync(chain, booking.Id);
        Assert.Equal(BookingStatus.Attested, onChain.Status);
        Assert.Equal(Outcome.NoShowGuest, onChain.OracleOutcome);
    }

    [Theory]
    [InlineData(TransactionType.Eip1559)]
    [InlineData(TransactionType.Legacy)]
    public async Task A_dropped_transaction_is_replaced_with_the_same_nonce_and_higher_fees(TransactionType type)
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var options = new SubmitterOptions(Anvil.DefaultChainId)
        {
            TransactionType = type,
            ReceiptTimeout = TimeSpan.FromSeconds(1),
            PollInterval = TimeSpan.FromMilliseconds(100),
        };
        var nonce = await NonceAsync(chain);
        await chain.Anvil.SetAutomineAsync(false);

        var submission = Submitter(chain, store, options).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);
        var first = (await WaitForRecordAsync(store, booking.Id, r => r.Sent.Count == 1, submission)).Sent[0];
        await DropFromPoolAsync(chain, first.Hash);
        var replaced = await WaitForRecordAsync(store, booking.Id, r => r.Sent.Count >= 2, submission);
        await chain.Anvil.MineAsync();
        var result = await submission;

        var record = (await store.GetAsync(booking.Id, default))!;
        var mined = Assert.IsType<SubmissionResult.Mined>(result);
        Assert.Equal(record.Sent[^1].Hash, mined.TxHash);
        Assert.NotEqual(first.Hash, mined.TxHash);
        Assert.Equal(mined.TxHash, record.MinedHash);
        Assert.True(record.Sent.Count >= 2);
        Assert.All(record.Sent, s => Assert.Equal(nonce, s.Nonce));
        Assert.All(record.Sent, s => Assert.Equal(type, s.Type));
        var second = replaced.Sent[1];
        Assert.True(second.MaxFeePerGas * 10 >= first.MaxFeePerGas * 11);
        Assert.True(second.MaxPriorityFeePerGas * 10 >= first.MaxPriorityFeePerGas * 11);
        Assert.Null(await chain.Anvil.Eth.GetTransactionReceiptAsync(first.Hash));
        Assert.Equal(nonce + 1, await NonceAsync(chain, tag: BlockTag.Latest));
        Assert.Equal(BookingStatus.Attested, (await BookingAsync(chain, booking.Id)).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_a_restart_a_pending_transaction_is_resumed_not_signed_again(bool nodeLostIt)
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var nonce = await NonceAsync(chain);
        await chain.Anvil.SetAutomineAsync(false);

        // The first process persists and sends, then dies before the receipt.
        using (var crash = new CancellationTokenSource())
        {
            var submission = Submitter(chain, store, lane: new OracleKeyLane(Oracle.Address))
                .DriveAsync(new AttestationRequest(booking.Id, Outcome.NoShowHost, Metrics), crash.Token);
            await WaitForRecordAsync(store, booking.Id, r => r.State == AttestationTxState.Sent, submission);
            await crash.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => submission);
        }
        var sent = Assert.Single((await store.GetAsync(booking.Id, default))!.Sent);
        if (nodeLostIt)
        {
            // The crash may also have cut the broadcast short after the record was persisted: the node never had it.
            await DropFromPoolAsync(chain, sent.Hash, mayNeverArrive: true);
        }

        var restarted = Submitter(chain, store, lane: new OracleKeyLane(Oracle.Address));
        var results = await restarted.ResumeAsync(default);
        var (id, resumed) = Assert.Single(results);
        Assert.Equal(booking.Id, id);
        Assert.Equal(sent.Hash, Assert.IsType<SubmissionResult.Pending>(resumed).TxHash);
        await chain.Anvil.MineAsync();
        var result = await restarted.DriveAsync(new AttestationRequest(booking.Id, Outcome.NoShowHost, Metrics), default);

        Assert.Equal(sent.Hash, Assert.IsType<SubmissionResult.Mined>(result).TxHash);
        Assert.Single((await store.GetAsync(booking.Id, default))!.Sent);
        Assert.Equal(nonce + 1, await NonceAsync(chain, tag: BlockTag.Latest));
        Assert.Equal(nonce + 1, await NonceAsync(chain));
        Assert.Empty(await restarted.ResumeAsync(default));
    }

    [Fact]
    public async Task When_another_transaction_of_the_key_takes_the_nonce_the_booking_is_settled_without_a_second_attestation()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var options = new SubmitterOptions(Anvil.DefaultChainId) { ReceiptTimeout = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMilliseconds(100) };
        var nonce = await NonceAsync(chain);
        await chain.Anvil.SetAutomineAsync(false);

        var submission = Submitter(chain, store, options).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);
        var ours = (await WaitForRecordAsync(store, booking.Id, r => r.Sent.Count == 1, submission)).Sent[0];
        // Someone else with the oracle key: same nonce, double fees, another outcome. It replaces ours in the pool.
        var foreign = new Eip1559Transaction(Anvil.DefaultChainId, ours.Nonce, ours.MaxPriorityFeePerGas * 2, ours.MaxFeePerGas * 2, ours.GasLimit,
            chain.EscrowAddress, 0, EscrowAbi.AttestCall(booking.Id, Outcome.NoShowGuest, Keccak256.Hash("foreign"u8))).Sign(Oracle);
        await chain.Anvil.Eth.SendRawTransactionAsync(foreign);
        await chain.Anvil.MineAsync();
        var result = await submission;

        Assert.Equal(new SubmissionResult.AlreadySettled(BookingStatus.Attested, Outcome.NoShowGuest, null), result);
        Assert.True((await chain.Anvil.Eth.GetTransactionReceiptAsync(foreign.Hash))!.Succeeded);
        Assert.Equal(nonce + 1, await NonceAsync(chain));
        Assert.Equal(AttestationTxState.Settled, (await store.GetAsync(booking.Id, default))!.State);
    }

    [Fact]
    public async Task A_transaction_that_reverts_on_chain_is_replayed_at_its_block_for_the_reason()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        await chain.Anvil.SetAutomineAsync(false);

        var submission = Submitter(chain, store).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);
        await WaitForRecordAsync(store, booking.Id, r => r.Sent.Count == 1, submission);
        // In the same block, ahead of ours by its tip: the owner hands the oracle role to someone else.
        var setOracle = new AbiEncoder().Address(AnvilAccounts.Address(AnvilAccounts.Stranger)).ToCall(Abi.Selector("setOracle(address)"));
        await chain.Anvil.RawAsync("eth_sendTransaction", new Dictionary<string, object?>
        {
            ["from"] = AnvilAccounts.Address(AnvilAccounts.Deployer).ToString(),
            ["to"] = chain.EscrowAddress.ToString(),
            ["data"] = Hex.Encode(setOracle),
            ["maxPriorityFeePerGas"] = Hex.EncodeQuantity(new BigInteger(100_000_000_000)),
            ["maxFeePerGas"] = Hex.EncodeQuantity(new BigInteger(200_000_000_000)),
        });
        await chain.Anvil.MineAsync();
        var result = await submission;

        var failed = Assert.IsType<SubmissionResult.Failed>(result);
        Assert.Equal($"{SubmissionReasons.Reverted}: NotOracle", failed.Reason);
        var record = (await store.GetAsync(booking.Id, default))!;
        Assert.Equal(AttestationTxState.Failed, record.State);
        Assert.False((await chain.Anvil.Eth.GetTransactionReceiptAsync(record.MinedHash!.Value))!.Succeeded);
        Assert.Equal(BookingStatus.Booked, (await BookingAsync(chain, booking.Id)).Status);
    }

    [Fact]
    public async Task On_a_chain_that_mines_every_second_the_receipt_is_polled_until_it_is_mined()
    {
        await using var chain = await EscrowChain.StartAsync(blockTime: 1);
        var now = (long)(await chain.Anvil.Eth.GetBlockAsync(BlockTag.Latest))!.Timestamp;
        var booking = await chain.CreateBookingAsync(now - 15 * 60);
        var store = new InMemoryAttestationTxStore();

        var result = await Submitter(chain, store).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);

        var mined = Assert.IsType<SubmissionResult.Mined>(result);
        Assert.Equal(mined.TxHash, Assert.Single((await store.GetAsync(booking.Id, default))!.Sent).Hash);
        Assert.Equal(BookingStatus.Attested, (await BookingAsync(chain, booking.Id)).Status);
    }
    [Fact]
    public async Task A_send_answers_pending_once_broadcast_and_nothing_waits_for_the_block()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var submitter = Submitter(chain, store);
        var request = new AttestationRequest(booking.Id, Outcome.Completed, Metrics);
        await chain.Anvil.SetAutomineAsync(false);

        var sent = Assert.IsType<SubmissionResult.Pending>(await submitter.SubmitAsync(request, default));
        Assert.Equal(SubmissionReasons.WaitingForReceipt, sent.Reason);
        Assert.Equal(Assert.Single((await store.GetAsync(booking.Id, default))!.Sent).Hash, sent.TxHash);
        // A check without a block is as quick, and says the same.
        Assert.Equal(sent, await submitter.SubmitAsync(request, default));

        await chain.Anvil.MineAsync();
        var mined = Assert.IsType<SubmissionResult.Mined>(await submitter.SubmitAsync(request, default));
        Assert.Equal(sent.TxHash, mined.TxHash);
        Assert.False(mined.Final);
    }

    [Fact]
    public async Task A_mined_attestation_is_final_after_the_configured_confirmations()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var laneTime = new ShiftedTime();
        var submitter = Submitter(chain, store, new SubmitterOptions(Anvil.DefaultChainId) { Confirmations = 3 }, lane: new OracleKeyLane(Oracle.Address, laneTime));
        var request = new AttestationRequest(booking.Id, Outcome.Completed, Metrics);

        var mined = Assert.IsType<SubmissionResult.Mined>(await submitter.DriveAsync(request, default));
        Assert.False(mined.Final);
        await chain.Anvil.MineBlocksAsync(1);
        // The head is read at most once a second for the key: let that second pass, so this check sees 2 confirmations.
        laneTime.AdvanceMs(1_100);
        Assert.False(Assert.IsType<SubmissionResult.Mined>(await submitter.SubmitAsync(request, default)).Final);
        await chain.Anvil.MineBlocksAsync(1);
        var final = await UntilFinalAsync(submitter, request);

        Assert.True(final.Final);
        Assert.Equal(mined.TxHash, final.TxHash);
        var record = (await store.GetAsync(booking.Id, default))!;
        Assert.Equal(AttestationTxState.Final, record.State);
        Assert.Equal((await chain.Anvil.Eth.GetTransactionReceiptAsync(mined.TxHash))!.BlockHash, record.MinedBlockHash);
        Assert.Empty(await store.ListUnfinishedAsync(default));
    }

    [Fact]
    public async Task A_reorg_that_drops_the_attestation_sends_the_very_same_transaction_again()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var submitter = Submitter(chain, store, new SubmitterOptions(Anvil.DefaultChainId) { Confirmations = 2 });
        var request = new AttestationRequest(booking.Id, Outcome.Completed, Metrics);
        var nonce = await NonceAsync(chain, tag: BlockTag.Latest);
        var snapshot = await chain.Anvil.SnapshotAsync();

        var mined = Assert.IsType<SubmissionResult.Mined>(await submitter.DriveAsync(request, default));
        await chain.Anvil.SetAutomineAsync(false);
        await chain.Anvil.RevertAsync(snapshot);
        Assert.Null(await chain.Anvil.Eth.GetTransactionReceiptAsync(mined.TxHash));
        Assert.Equal(BookingStatus.Booked, (await BookingAsync(chain, booking.Id)).Status);

        var resent = Assert.IsType<SubmissionResult.Pending>(await submitter.SubmitAsync(request, default));
        Assert.Equal(SubmissionReasons.ResentAfterReorg, resent.Reason);
        Assert.Equal(mined.TxHash, resent.TxHash);
        Assert.Equal(AttestationTxState.Sent, (await store.GetAsync(booking.Id, default))!.State);
        await chain.Anvil.MineBlocksAsync(2);
        var again = Assert.IsType<SubmissionResult.Mined>(await submitter.SubmitAsync(request, default));
        var final = await UntilFinalAsync(submitter, request);

        Assert.Equal(mined.TxHash, again.TxHash);
        Assert.True(final.Final);
        Assert.Equal(nonce + 1, await NonceAsync(chain, tag: BlockTag.Latest));
        var onChain = await BookingAsync(chain, booking.Id);
        Assert.Equal((BookingStatus.Attested, Outcome.Completed, Metrics), (onChain.Status, onChain.OracleOutcome, onChain.MetricsHash));
        Assert.Single((await store.GetAsync(booking.Id, default))!.Sent);
    }

    [Fact]
    public async Task A_send_the_node_refuses_for_funds_is_a_classified_failure_the_oracle_status_shows()
    {
        await using var chain = await EscrowChain.StartAsync();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 15 * 60);
        var store = new InMemoryAttestationTxStore();
        var status = new OracleStatus(Oracle.Address);
        var submitter = new OracleSubmitter(chain.Escrow, Oracle, store, new SubmitterOptions(Anvil.DefaultChainId), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<OracleSubmitter>.Instance, new OracleKeyLane(Oracle.Address), status);
        var request = new AttestationRequest(booking.Id, Outcome.Completed, Metrics);
        await chain.Anvil.RawAsync("anvil_setBalance", Oracle.Address.ToString(), "0x0");

        var refused = await Record.ExceptionAsync(() => submitter.SubmitAsync(request, default)) is RpcException e
            ? SubmissionReasons.Of(e.Error)
            : Assert.IsType<SubmissionResult.Failed>(await submitter.SubmitAsync(request, default)).Reason;

        Assert.Equal(SubmissionReasons.InsufficientFunds, refused);
        Assert.Equal((SubmissionReasons.InsufficientFunds, true), (status.LastFault.Fault?.Reason, status.LastFault.Current));
        Assert.True(status.CannotPay(1, BigInteger.Zero));
        Assert.Null(await store.GetAsync(booking.Id, default));

        await chain.Anvil.RawAsync("anvil_setBalance", Oracle.Address.ToString(), Hex.EncodeQuantity(BigInteger.Pow(10, 19)));
        Assert.IsType<SubmissionResult.Mined>(await submitter.DriveAsync(request, default));
        Assert.False(status.LastFault.Current);
        Assert.False(status.CannotPay(1, BigInteger.Pow(10, 19)));
        Assert.True(status.CannotPay(1, BigInteger.One));
    }

    private static async Task<SubmissionResult.Mined> UntilFinalAsync(OracleSubmitter submitter, AttestationRequest request)
    {
        for (var i = 0; ; i++)
        {
            var mined = Assert.IsType<SubmissionResult.Mined>(await submitter.SubmitAsync(request, default));
            if (mined.Final || i == 40)
            {
                return mined;
            }
            await Task.Delay(100);
        }
    }
}
