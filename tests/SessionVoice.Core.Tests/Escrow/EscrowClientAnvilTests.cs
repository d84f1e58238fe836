using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Escrow;

/// <summary>Our escrow client and our signer against the test escrow on a real anvil.</summary>
public class EscrowClientAnvilTests(EscrowChainFixture fixture) : IClassFixture<EscrowChainFixture>
{
    private EscrowChain Chain => fixture.Chain;

    private static readonly Hash32 Metrics = Keccak256.Hash("metrics"u8);

    internal static async Task<SignedTransaction> BuildAttestAsync(EscrowChain chain, ISigner signer, BookingId id, Outcome outcome, Hash32 metrics, bool legacy, ulong? gasLimit = null)
    {
        var eth = chain.Anvil.Eth;
        var chainId = await eth.ChainIdAsync();
        var nonce = await eth.GetTransactionCountAsync(signer.Address, BlockTag.Pending);
        var gas = gasLimit ?? await chain.Escrow.EstimateAttestGasAsync(signer.Address, id, outcome, metrics) * 13 / 10;
        var data = EscrowAbi.AttestCall(id, outcome, metrics);
        if (legacy)
        {
            return new LegacyTransaction(chainId, nonce, await eth.GasPriceAsync(), gas, chain.EscrowAddress, 0, data).Sign(signer);
        }
        var tip = await eth.MaxPriorityFeePerGasAsync();
        var baseFee = (await eth.GetBlockAsync(BlockTag.Latest))!.BaseFeePerGas ?? 0;
        return new Eip1559Transaction(chainId, nonce, tip, baseFee * 2 + tip, gas, chain.EscrowAddress, 0, data).Sign(signer);
    }

    [Fact]
    public async Task Chain_id_is_read_from_the_rpc()
    {
        Assert.Equal(6343UL, await Chain.Anvil.Eth.ChainIdAsync());
    }

    [Fact]
    public async Task A_booking_reads_back_through_the_client()
    {
        var now = await Chain.NowAsync();
        var booking = await Chain.CreateBookingAsync(now - 600, durationMins: 30, graceMins: 5, minOverlapMins: 10, price: 12345);

        var read = await Chain.Escrow.GetBookingAsync(booking.Id);
        Assert.NotNull(read);
        Assert.Equal(booking.Id, read.Id);
        Assert.Equal(booking.SlotId, read.SlotId);
        Assert.Equal(AnvilAccounts.Address(AnvilAccounts.Guest), read.Guest);
        Assert.Equal(new Wei(12345), read.Amount);
        Assert.Equal(BookingStatus.Booked, read.Status);
        Assert.Equal(Outcome.None, read.OracleOutcome);
        Assert.True(read.MetricsHash.IsZero);

        var slot = await Chain.Escrow.GetSlotAsync(read.SlotId);
        Assert.NotNull(slot);
        Assert.Equal(AnvilAccounts.Address(AnvilAccounts.Host), slot.Host);
        Assert.Equal(now - 600, slot.StartTime);
        Assert.Equal(30u, slot.DurationMins);
        Assert.Equal(5u, slot.GraceMins);
        Assert.Equal(10u, slot.MinOverlapMins);
        Assert.Equal(new Wei(12345), slot.Price);
        Assert.Equal(SlotStatus.Booked, slot.Status);
        Assert.Equal(now - 600 + 1800, slot.EndTime);

        Assert.Equal(EscrowChain.Oracle, await Chain.Escrow.OracleAsync());
        Assert.Equal(86400, await Chain.Escrow.ChallengeWindowAsync());
    }

    [Fact]
    public async Task Unknown_booking_and_slot_read_as_absent()
    {
        Assert.Null(await Chain.Escrow.GetBookingAsync(new BookingId(999_999)));
        Assert.Null(await Chain.Escrow.GetBookingAsync(new BookingId(Abi.MaxUInt256)));
        Assert.Null(await Chain.Escrow.GetSlotAsync(999_999));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Attest_signed_by_our_oracle_key_lands_on_chain(bool legacy)
    {
        var now = await Chain.NowAsync();
        var booking = await Chain.CreateBookingAsync(now - 15 * 60, durationMins: 30, graceMins: 5, minOverlapMins: 10);
        var oracle = AnvilAccounts.Signer(AnvilAccounts.Oracle);

        var tx = await BuildAttestAsync(Chain, oracle, booking.Id, Outcome.Completed, Metrics, legacy);
        var hash = await Chain.Anvil.Eth.SendRawTransactionAsync(tx);
        Assert.Equal(tx.Hash, hash);
        var receipt = await Chain.Anvil.WaitForReceiptAsync(hash);
        Assert.True(receipt.Succeeded);

        var read = await Chain.Escrow.GetBookingAsync(booking.Id);
        Assert.Equal(BookingStatus.Attested, read!.Status);
        Assert.Equal(Outcome.Completed, read.OracleOutcome);
        Assert.Equal(Metrics, read.MetricsHash);
        Assert.True(read.AttestedAt > 0);
        Assert.Equal(read.AttestedAt + 86400, read.FinalizableAt);

        var attested = Assert.Single(receipt.Logs.Select(EscrowAbi.DecodeLog).OfType<Attested>());
        Assert.Equal(booking.Id, attested.BookingId);
        Assert.Equal(Outcome.Completed, attested.Outcome);
        Assert.Equal(Metrics, attested.MetricsHash);
        Assert.Equal(read.FinalizableAt, attested.FinalizableAt);

        // Sending the very same bytes again is "already known" or "nonce too low", never a second attestation.
        var again = await Record.ExceptionAsync(() => Chain.Anvil.Eth.SendRawTransactionAsync(tx));
        Assert.True(again is null || again is RpcException { Kind: RpcErrorKind.NonceTooLow or RpcErrorKind.AlreadyKnown }, again?.Message);
    }

    [Fact]
    public async Task Attest_from_another_key_surfaces_NotOracle()
    {
        var now = await Chain.NowAsync();
        var booking = await Chain.CreateBookingAsync(now - 15 * 60);
        var stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);

        var simulated = await Chain.Escrow.SimulateAttestAsync(stranger.Address, booking.Id, Outcome.Completed, Metrics);
        Assert.Equal(EscrowErrorKind.NotOracle, simulated?.Kind);
        var estimate = await Assert.ThrowsAsync<EscrowRevertException>(() => Chain.Escrow.EstimateAttestGasAsync(stranger.Address, booking.Id, Outcome.Completed, Metrics));
        Assert.Equal(EscrowErrorKind.NotOracle, estimate.Error.Kind);

        // Sent anyway with a fixed gas limit, it reverts on chain and changes nothing.
        var tx = await BuildAttestAsync(Chain, stranger, booking.Id, Outcome.Completed, Metrics, legacy: false, gasLimit: 200_000);
        var receipt = await Chain.Anvil.WaitForReceiptAsync(await Chain.Anvil.Eth.SendRawTransactionAsync(tx));
        Assert.False(receipt.Succeeded);
        Assert.Equal(BookingStatus.Booked, (await Chain.Escrow.GetBookingAsync(booking.Id))!.Status);
    }

    [Fact]
    public async Task Attesting_twice_is_decoded_as_NotBooked()
    {
        var now = await Chain.NowAsync();
        var booking = await Chain.CreateBookingAsync(now - 15 * 60);
        var oracle = AnvilAccounts.Signer(AnvilAccounts.Oracle);
        var tx = await BuildAttestAsync(Chain, oracle, booking.Id, Outcome.Completed, Metrics, legacy: false);
        Assert.True((await Chain.Anvil.WaitForReceiptAsync(await Chain.Anvil.Eth.SendRawTransactionAsync(tx))).Succeeded);

        var second = await Chain.Escrow.SimulateAttestAsync(oracle.Address, booking.Id, Outcome.NoShowGuest, Metrics);
        Assert.Equal(EscrowErrorKind.NotBooked, second?.Kind);
        Assert.Equal("NOT_BOOKED", Assert.IsType<RevertReason.ErrorString>(second!.Reason).Message);
    }

    [Fact]
    public async Task A_cancelled_booking_is_NotBooked_and_its_events_decode()
    {
        var from = await Chain.Anvil.Eth.BlockNumberAsync();
        var now = await Chain.NowAsync();
        var booking = await Chain.CreateBookingAsync(now + 3600);
        await Chain.CancelAsync(booking.Id, booking.Guest);

        Assert.Equal(BookingStatus.Cancelled, (await Chain.Escrow.GetBookingAsync(booking.Id))!.Status);
        var error = await Chain.Escrow.SimulateAttestAsync(EscrowChain.Oracle, booking.Id, Outcome.NoShowHost, Metrics);
        Assert.Equal(EscrowErrorKind.NotBooked, error?.Kind);

        var events = (await Chain.Escrow.GetEventsAsync(from, await Chain.Anvil.Eth.BlockNumberAsync())).Where(e => e.BookingId == booking.Id).ToList();
        var booked = Assert.IsType<SessionBooked>(events[0]);
        Assert.Equal(booking.SlotId, booked.SlotId);
        Assert.Equal(booking.Guest, booked.Guest);
        var cancelled = Assert.IsType<SessionBookingCancelled>(events[1]);
        Assert.Equal(booked.Amount, cancelled.Refund);
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public async Task Timing_reverts_are_typed()
    {
        var now = await Chain.NowAsync();
        var oracle = EscrowChain.Oracle;
        // Started a minute ago, grace 5 min, overlap 10 min: too early for either outcome.
        var early = await Chain.CreateBookingAsync(now - 60, durationMins: 30, graceMins: 5, minOverlapMins: 10);
        Assert.Equal(EscrowErrorKind.GraceNotOver, (await Chain.Escrow.SimulateAttestAsync(oracle, early.Id, Outcome.NoShowHost, Metrics))?.Kind);
        Assert.Equal(EscrowErrorKind.GraceNotOver, (await Chain.Escrow.SimulateAttestAsync(oracle, early.Id, Outcome.NoShowGuest, Metrics))?.Kind);
        Assert.Equal(EscrowErrorKind.OverlapNotMet, (await Chain.Escrow.SimulateAttestAsync(oracle, early.Id, Outcome.Completed, Metrics))?.Kind);

        // Ended long ago: past G + D for no-shows and past E + 2 h for completion.
        var late = await Chain.CreateBookingAsync(now - 30 * 60 - 7200 - 600, durationMins: 30, graceMins: 5, minOverlapMins: 10);
        Assert.Equal(EscrowErrorKind.NoShowTooLate, (await Chain.Escrow.SimulateAttestAsync(oracle, late.Id, Outcome.NoShowHost, Metrics))?.Kind);
        Assert.Equal(EscrowErrorKind.TooLate, (await Chain.Escrow.SimulateAttestAsync(oracle, late.Id, Outcome.Completed, Metrics))?.Kind);

        // In the no-show window: accepted by simulation.
        var due = await Chain.CreateBookingAsync(now - 10 * 60, durationMins: 30, graceMins: 5, minOverlapMins: 10);
        Assert.Null(await Chain.Escrow.SimulateAttestAsync(oracle, due.Id, Outcome.NoShowGuest, Metrics));
    }

    [Fact]
    public async Task Bad_outcome_reverts_with_its_reason()
    {
        var now = await Chain.NowAsync();
        var booking = await Chain.CreateBookingAsync(now - 15 * 60);
        var data = new AbiEncoder().UInt(booking.Id.Value).UInt(4, 8).Bytes32(Metrics).ToCall(EscrowAbi.AttestSelector);
        var error = await Assert.ThrowsAsync<RpcException>(() => Chain.Anvil.Eth.CallAsync(new CallRequest(Chain.EscrowAddress, data, EscrowChain.Oracle)));
        Assert.Equal(RpcErrorKind.Reverted, error.Kind);
        Assert.Equal(EscrowErrorKind.BadOutcome, EscrowError.FromRevert(error.Error.Revert!).Kind);
    }

    [Fact]
    public async Task Batched_reads_answer_in_request_order()
    {
        var now = await Chain.NowAsync();
        var a = await Chain.CreateBookingAsync(now + 3600, price: 111);
        var b = await Chain.CreateBookingAsync(now + 7200, price: 222);
        var results = await Chain.Escrow.GetBookingsAsync([b.Id, new BookingId(987_654), a.Id]);
        Assert.Equal(new Wei(222), results[0]!.Amount);
        Assert.Null(results[1]);
        Assert.Equal(new Wei(111), results[2]!.Amount);
    }

    [Fact]
    public async Task A_batch_keeps_per_item_errors()
    {
        var good = EthClient.CallRequestFor(new CallRequest(Chain.EscrowAddress, EscrowAbi.OracleSelector));
        var bad = EthClient.CallRequestFor(new CallRequest(Chain.EscrowAddress, new AbiEncoder().UInt(1).UInt(9, 8).Bytes32(Metrics).ToCall(EscrowAbi.AttestSelector), AnvilAccounts.Address(AnvilAccounts.Stranger)));
        var responses = await Chain.Anvil.Rpc.SendBatchAsync([good, bad, good], default);
        Assert.NotNull(responses[0].Result);
        Assert.Equal(RpcErrorKind.Reverted, responses[1].Error?.Kind);
        Assert.Equal("NOT_ORACLE", Assert.IsType<RevertReason.ErrorString>(responses[1].Error!.Revert).Message);
        Assert.NotNull(responses[2].Result);
    }

    [Fact]
    public async Task Unknown_methods_and_bad_params_are_classified()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() => Chain.Anvil.Rpc.SendAsync("realtime_sendRawTransaction", ["0x00"], default));
        Assert.Equal(RpcErrorKind.MethodNotFound, missing.Kind);
        var nonceTooLow = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            var signer = AnvilAccounts.Signer(AnvilAccounts.Deployer);
            var tx = new LegacyTransaction(6343, 0, await Chain.Anvil.Eth.GasPriceAsync(), 21_000, signer.Address, 1, []).Sign(signer);
            await Chain.Anvil.Eth.SendRawTransactionAsync(tx);
        });
        Assert.Equal(RpcErrorKind.NonceTooLow, nonceTooLow.Kind);
    }

    [Fact]
    public async Task A_transaction_for_another_chain_is_refused()
    {
        var signer = AnvilAccounts.Signer(AnvilAccounts.Stranger);
        var nonce = await Chain.Anvil.Eth.GetTransactionCountAsync(signer.Address, BlockTag.Pending);
        // A typed transaction: anvil 1.7.1 accepts a *legacy* one signed for another chain id, so the
        // submitter has to compare chain ids itself before signing.
        var tx = new Eip1559Transaction(6342, nonce, 1, 10_000_000_000, 21_000, signer.Address, 1, []).Sign(signer);
        var error = await Assert.ThrowsAsync<RpcException>(() => Chain.Anvil.Eth.SendRawTransactionAsync(tx));
        Assert.Equal(RpcErrorKind.ChainIdMismatch, error.Kind);
    }
}
