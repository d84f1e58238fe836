using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Tests.Escrow;
using SessionVoice.Testing;
using static SessionVoice.Core.Tests.Submission.SubmitterTestKit;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Core.Tests.Submission;

/// <summary>The submitter against the test escrow on one automine anvil; none of these move chain time.</summary>
public class OracleSubmitterAnvilTests(EscrowChainFixture fixture) : IClassFixture<EscrowChainFixture>
{
    private EscrowChain Chain => fixture.Chain;

    private async Task<TestBooking> DueBookingAsync() => await Chain.CreateBookingAsync(await Chain.NowAsync() - 15 * 60);

    public static TheoryData<TransactionType, long?> TransactionKinds => new()
    {
        { TransactionType.Eip1559, null },
        { TransactionType.Legacy, null },
        // MegaETH style: legacy at a fixed price (2 gwei clears anvil's 1 gwei starting base fee).
        { TransactionType.Legacy, 2_000_000_000 },
    };

    [Theory]
    [MemberData(nameof(TransactionKinds))]
    public async Task A_due_attestation_is_mined_once_and_a_second_submit_returns_the_same_hash(TransactionType type, long? fixedGasPrice)
    {
        var booking = await DueBookingAsync();
        var store = new InMemoryAttestationTxStore();
        var options = new SubmitterOptions(Anvil.DefaultChainId) { TransactionType = type, FixedGasPrice = fixedGasPrice };
        var submitter = Submitter(Chain, store, options);
        var request = new AttestationRequest(booking.Id, Outcome.Completed, Metrics);

        var result = await submitter.DriveAsync(request, default);

        var mined = Assert.IsType<SubmissionResult.Mined>(result);
        var receipt = await Chain.Anvil.Eth.GetTransactionReceiptAsync(mined.TxHash);
        Assert.True(receipt!.Succeeded);
        Assert.Equal(mined.BlockNumber, receipt.BlockNumber);
        if (fixedGasPrice is { } price)
        {
            Assert.Equal(new BigInteger(price), receipt.EffectiveGasPrice);
        }
        var onChain = await BookingAsync(Chain, booking.Id);
        Assert.Equal(BookingStatus.Attested, onChain.Status);
        Assert.Equal(Outcome.Completed, onChain.OracleOutcome);
        Assert.Equal(Metrics, onChain.MetricsHash);
        var record = (await store.GetAsync(booking.Id, default))!;
        Assert.Equal(AttestationTxState.Mined, record.State);
        Assert.Equal(mined.TxHash, record.MinedHash);
        Assert.Equal(type, Assert.Single(record.Sent).Type);

        var nonce = await NonceAsync(Chain);
        var again = await Submitter(Chain, store, options).DriveAsync(request, default);

        Assert.Equal(mined, again);
        Assert.Equal(nonce, await NonceAsync(Chain));
    }

    [Fact]
    public async Task An_already_attested_booking_is_AlreadySettled_without_a_transaction()
    {
        var booking = await DueBookingAsync();
        var other = Keccak256.Hash("attested elsewhere"u8);
        var tx = await EscrowClientAnvilTests.BuildAttestAsync(Chain, Oracle, booking.Id, Outcome.NoShowGuest, other, legacy: false);
        Assert.True((await Chain.Anvil.WaitForReceiptAsync(await Chain.Anvil.Eth.SendRawTransactionAsync(tx))).Succeeded);
        var nonce = await NonceAsync(Chain);
        var store = new InMemoryAttestationTxStore();

        var result = await Submitter(Chain, store).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);

        Assert.Equal(new SubmissionResult.AlreadySettled(BookingStatus.Attested, Outcome.NoShowGuest, null), result);
        Assert.Equal(nonce, await NonceAsync(Chain));
        Assert.Equal(AttestationTxState.Settled, (await store.GetAsync(booking.Id, default))!.State);
    }

    [Fact]
    public async Task A_cancelled_booking_is_AlreadySettled_without_a_transaction()
    {
        var booking = await Chain.CreateBookingAsync(await Chain.NowAsync() + 3600);
        await Chain.CancelAsync(booking.Id, booking.Guest);
        var nonce = await NonceAsync(Chain);

        var result = await Submitter(Chain).DriveAsync(new AttestationRequest(booking.Id, Outcome.NoShowHost, Metrics), default);

        var settled = Assert.IsType<SubmissionResult.AlreadySettled>(result);
        Assert.Equal(BookingStatus.Cancelled, settled.OnChainStatus);
        Assert.Null(settled.TxHash);
        Assert.Equal(nonce, await NonceAsync(Chain));
    }

    [Fact]
    public async Task A_missed_window_is_WindowMissed_terminal_and_sends_nothing()
    {
        var booking = await Chain.CreateBookingAsync(await Chain.NowAsync() - 30 * 60 - 7200 - 600, durationMins: 30, graceMins: 5);
        var store = new InMemoryAttestationTxStore();
        var nonce = await NonceAsync(Chain);
        var request = new AttestationRequest(booking.Id, Outcome.NoShowHost, Metrics);

        var result = await Submitter(Chain, store).DriveAsync(request, default);

        Assert.Equal(EscrowErrorKind.NoShowTooLate, Assert.IsType<SubmissionResult.WindowMissed>(result).Error.Kind);
        var record = (await store.GetAsync(booking.Id, default))!;
        Assert.Equal(AttestationTxState.Failed, record.State);
        Assert.Empty(record.Sent);
        Assert.IsType<SubmissionResult.WindowMissed>(await Submitter(Chain, store).DriveAsync(request, default));
        Assert.Equal(nonce, await NonceAsync(Chain));
    }

    [Fact]
    public async Task A_key_that_is_not_the_oracle_fails_with_NotOracle_and_releases_the_booking()
    {
        var booking = await DueBookingAsync();
        var stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);
        var store = new InMemoryAttestationTxStore();
        var nonce = await NonceAsync(Chain, stranger.Address);

        var result = await Submitter(Chain, store, signer: stranger).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);

        Assert.Equal(SubmissionReasons.NotOracle, Assert.IsType<SubmissionResult.Failed>(result).Reason);
        Assert.Equal(nonce, await NonceAsync(Chain, stranger.Address));
        Assert.Null(await store.GetAsync(booking.Id, default));
        // Released, so the right key can still attest it.
        Assert.IsType<SubmissionResult.Mined>(await Submitter(Chain, store).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default));
    }

    [Theory]
    [InlineData(TransactionType.Legacy)]
    [InlineData(TransactionType.Eip1559)]
    public async Task A_node_on_another_chain_id_gets_nothing_signed(TransactionType type)
    {
        var booking = await DueBookingAsync();
        var store = new InMemoryAttestationTxStore();
        var nonce = await NonceAsync(Chain);
        var options = new SubmitterOptions(6342) { TransactionType = type };

        var result = await Submitter(Chain, store, options).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);

        Assert.StartsWith("chain id mismatch", Assert.IsType<SubmissionResult.Failed>(result).Reason, StringComparison.Ordinal);
        Assert.Equal(nonce, await NonceAsync(Chain));
        Assert.Null(await store.GetAsync(booking.Id, default));
        Assert.Equal(BookingStatus.Booked, (await BookingAsync(Chain, booking.Id)).Status);
    }

    [Fact]
    public async Task Twenty_due_bookings_submitted_at_once_get_twenty_distinct_nonces()
    {
        var now = await Chain.NowAsync();
        var bookings = new List<TestBooking>();
        for (var i = 0; i < 20; i++)
        {
            bookings.Add(await Chain.CreateBookingAsync(now - 15 * 60));
        }
        var store = new InMemoryAttestationTxStore();
        var submitter = Submitter(Chain, store);
        var nonce = await NonceAsync(Chain);

        var results = await Task.WhenAll(bookings.Select(b => submitter.DriveAsync(new AttestationRequest(b.Id, Outcome.Completed, Metrics), default)));

        Assert.All(results, r => Assert.IsType<SubmissionResult.Mined>(r));
        var records = await Task.WhenAll(bookings.Select(b => store.GetAsync(b.Id, default)));
        var nonces = records.Select(r => Assert.Single(r!.Sent).Nonce).ToList();
        Assert.Equal(20, nonces.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 20).Select(i => nonce + (ulong)i), nonces.Order());
        Assert.Equal(nonce + 20, await NonceAsync(Chain));
        foreach (var booking in bookings)
        {
            Assert.Equal(BookingStatus.Attested, (await BookingAsync(Chain, booking.Id)).Status);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_submitters_racing_on_one_booking_send_one_transaction(bool sharedLane)
    {
        var booking = await DueBookingAsync();
        var store = new InMemoryAttestationTxStore();
        var a = Submitter(Chain, store, lane: sharedLane ? null : new OracleKeyLane(Oracle.Address));
        var b = Submitter(Chain, store, lane: sharedLane ? null : new OracleKeyLane(Oracle.Address));
        var request = new AttestationRequest(booking.Id, Outcome.Completed, Metrics);
        var nonce = await NonceAsync(Chain);

        var results = await Task.WhenAll(a.DriveAsync(request, default), b.DriveAsync(request, default));

        Assert.Equal(nonce + 1, await NonceAsync(Chain));
        Assert.All(results, r => Assert.True(r is SubmissionResult.Mined or SubmissionResult.AlreadySettled, r.ToString()));
        var record = (await store.GetAsync(booking.Id, default))!;
        Assert.Single(record.Sent);
        Assert.All(results.OfType<SubmissionResult.Mined>(), m => Assert.Equal(record.MinedHash, m.TxHash));
        Assert.Equal(BookingStatus.Attested, (await BookingAsync(Chain, booking.Id)).Status);
    }

    [Fact]
    public async Task A_claim_nobody_sent_under_in_time_is_taken_over_and_its_old_owner_is_fenced_off()
    {
        var booking = await DueBookingAsync();
        var store = new InMemoryAttestationTxStore();
        var abandoned = new AttestationTxRecord(booking.Id, Outcome.Completed, Metrics, AttestationTxState.Claimed, [], null, null)
        {
            ClaimToken = "crashed-replica",
            ClaimedAtUnixMs = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(),
        };
        Assert.True(await store.TryCreateAsync(abandoned, default));
        var nonce = await NonceAsync(Chain);

        var result = await Submitter(Chain, store).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);

        Assert.IsType<SubmissionResult.Mined>(result);
        Assert.Equal(nonce + 1, await NonceAsync(Chain));
        Assert.NotEqual("crashed-replica", (await store.GetAsync(booking.Id, default))!.ClaimToken);
        await Assert.ThrowsAsync<AttestationClaimLostException>(() => store.UpdateAsync(abandoned with { State = AttestationTxState.Sent }, default));
    }

    [Fact]
    public async Task A_fresh_claim_of_another_submitter_is_waited_for_not_doubled()
    {
        var booking = await DueBookingAsync();
        var store = new InMemoryAttestationTxStore();
        var options = new SubmitterOptions(Anvil.DefaultChainId) { ReceiptTimeout = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromMilliseconds(50) };
        var theirs = new AttestationTxRecord(booking.Id, Outcome.Completed, Metrics, AttestationTxState.Claimed, [], null, null)
        {
            ClaimToken = "other-replica",
            ClaimedAtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        Assert.True(await store.TryCreateAsync(theirs, default));

        var started = DateTime.UtcNow;
        var result = await Submitter(Chain, store, options).DriveAsync(new AttestationRequest(booking.Id, Outcome.Completed, Metrics), default);

        // The other replica never sent: only after its lease ran out did this one take over.
        Assert.IsType<SubmissionResult.Mined>(result);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(900));
    }
}
