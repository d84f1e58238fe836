using Microsoft.Extensions.Logging;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// Gets one attestation per booking on chain with the oracle key (docs/escrow-and-attestation.md, "Submitting").
/// Every submission is driven by its <see cref="AttestationTxRecord"/>: whoever calls for a booking — the
/// claimant, a caller that lost the claim, a fresh instance after a restart — reads the record and moves
/// it on, so no path signs a second transaction for a booking while one of ours can still land.
/// </summary>
/// <remarks>
/// <para>Nothing here waits for a block. <see cref="SubmitAsync"/> takes one step and answers:
/// <b>send</b> (no record yet: claim, re-read the booking, estimate, sign, persist, broadcast — answered
/// <see cref="SubmissionResult.Pending"/> once broadcast) or <b>check</b> (a record exists: look up the receipts of
/// every hash, replace with higher fees after <see cref="SubmitterOptions.ReceiptTimeout"/>, notice a nonce taken by
/// another transaction, count confirmations). The caller's schedule calls again until the answer is final.</para>
/// <para>Claims: <see cref="IAttestationTxStore.TryCreateAsync"/> makes one caller the owner, with a fencing
/// token. Others are answered Pending; a claim with nothing sent after <see cref="SubmitterOptions.ReceiptTimeout"/>
/// is stale and is taken over (release + re-create), after which its old owner's updates are refused.</para>
/// <para>Released (record deleted, the next call claims afresh): not due yet, not the oracle, a bad outcome,
/// the node refusing the transaction, and a mined revert for timing. Terminal (record Failed): window missed
/// and any other revert on chain. Final and Settled are kept, so repeating a call returns the stored answer.</para>
/// <para>Finality: a receipt makes the record Mined; until <see cref="SubmitterOptions.Confirmations"/> blocks are on
/// top of it, each check confirms the receipt still exists. If a reorg removed it and the booking is Booked again,
/// the very same signed transaction (same nonce) goes out again, so at most one attestation of ours can land.</para>
/// <para>Nonces: a lane per key serialises nonce choice, persisting and sending. A transaction without a receipt
/// after the timeout is replaced (same nonce, fees × 1.125, at most <see cref="SubmitterOptions.MaxReplacements"/>);
/// if the nonce is used by none of our hashes, another transaction took it and the booking is attested afresh.</para>
/// </remarks>
public sealed partial class OracleSubmitter : IAttestationSender
{
    private readonly EscrowClient _escrow;
    private readonly ISigner _oracle;
    private readonly IAttestationTxStore _store;
    private readonly SubmitterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OracleSubmitter> _logger;
    private readonly OracleKeyLane _lane;
    private readonly OracleStatus? _status;
    /// <summary>Every submitter of a key in one process gets the same <paramref name="lane"/>; two lanes of one key are two replicas.</summary>
    public OracleSubmitter(EscrowClient escrow, ISigner oracle, IAttestationTxStore store, SubmitterOptions options, TimeProvider time, ILogger<OracleSubmitter> logger, OracleKeyLane lane, OracleStatus? status = null)
    {
        options.Validate();
        if (lane.Account != oracle.Address)
        {
            throw new ArgumentException("the lane belongs to another key", nameof(lane));
        }
        _escrow = escrow;
        _oracle = oracle;
        _store = store;
        _options = options;
        _time = time;
        _logger = logger;
        _lane = lane;
        _status = status;
    }

    private EthClient Eth => _escrow.Eth;

    /// <summary>One step for the booking: send when nothing is recorded, otherwise check what was sent. Never waits for a block.</summary>
    public async Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Outcomes 0, 4, 5 are a caller's bug: refuse before anything is claimed.
        _ = EscrowAbi.AttestCall(request.BookingId, request.Outcome, request.MetricsHash);
        try
        {
            return await VerifyChainIdAsync(ct) ?? await StepInLaneAsync(request, ct);
        }
        catch (Exception e) when (SubmissionReasons.Of(e) is { } reason && !ct.IsCancellationRequested)
        {
            _status?.Fault(reason, NowUnixMs());
            throw;
        }
    }

    /// <summary>Simulates the attestation from the oracle's address, and tells whether anything was sent for the booking.</summary>
    public async Task<Preflight> PreflightAsync(AttestationRequest request, CancellationToken ct)
    {
        var record = await _store.GetAsync(request.BookingId, ct);
        var sent = record is { Sent.Count: > 0 } || record is { IsFinished: true } || record is { State: AttestationTxState.Mined };
        var refusal = await _escrow.SimulateAttestAsync(_oracle.Address, request.BookingId, request.Outcome, request.MetricsHash, ct);
        return new Preflight(refusal, sent);
    }

    /// <summary>
    /// After a restart: every transaction persisted as sent goes to the node again (the very same bytes, harmless if
    /// it still has them); the schedule's checks take it from there. Nothing new is signed.
    /// </summary>
    public async Task<IReadOnlyList<(BookingId, SubmissionResult)>> ResumeAsync(CancellationToken ct)
    {
        var unfinished = await _store.ListUnfinishedAsync(ct);
        if (unfinished.Count == 0)
        {
            return [];
        }
        if (await VerifyChainIdAsync(ct) is { } mismatch)
        {
            return [.. unfinished.Select(r => (r.BookingId, mismatch))];
        }
        var resumed = new List<(BookingId, SubmissionResult)>();
        foreach (var record in unfinished)
        {
            if (record.Sent.Count == 0)
            {
                resumed.Add((record.BookingId, new SubmissionResult.Pending(null, SubmissionReasons.ClaimedElsewhere)));
                continue;
            }
            _lane.Occupy(record.BookingId);
            await RebroadcastAsync(record.BookingId, record.Sent[^1], ct);
            resumed.Add((record.BookingId, new SubmissionResult.Pending(record.Sent[^1].Hash, SubmissionReasons.WaitingForReceipt)));
        }
        return resumed;
    }

    // anvil 1.7.1 accepts a legacy transaction signed for another chain id (ethereum.md §7), so the check is ours.
    private async Task<SubmissionResult?> VerifyChainIdAsync(CancellationToken ct)
    {
        if (_lane.VerifiedChainId == _options.ChainId)
        {
            return null;
        }
        var actual = await Eth.ChainIdAsync(ct);
        if (actual != _options.ChainId)
        {
            _logger.ChainIdMismatch(actual, _options.ChainId);
            _status?.Fault(SubmissionReasons.ChainIdMismatch, NowUnixMs());
            return new SubmissionResult.Failed(SubmissionReasons.ChainIdMismatch);
        }
        _lane.VerifiedChainId = actual;
        return null;
    }

    /// <summary>As <see cref="StepAsync"/>, holding one of the lane's <see cref="OracleKeyLane.MaxInFlight"/> places for the step.</summary>
    private async Task<SubmissionResult> StepInLaneAsync(AttestationRequest request, CancellationToken ct)
    {
        await _lane.InFlight.WaitAsync(ct);
        try
        {
            var result = await StepAsync(request, ct);
            if (result is not SubmissionResult.Pending)
            {
                // Mined, settled, refused or failed: nothing of ours is waiting in a pool for this booking any more.
                _lane.FreePlace(request.BookingId);
            }
            return result;
        }
        catch (Exception)
        {
            // If something was sent after all, the next step finds it in the record and takes the place again.
            _lane.FreePlace(request.BookingId);
            throw;
        }
        finally
        {
            _lane.InFlight.Release();
        }
    }

    /// <summary>Reads the booking's record and moves it on by one step.</summary>
    private async Task<SubmissionResult> StepAsync(AttestationRequest request, CancellationToken ct)
    {
        // A claim lost to another caller is followed once more; a race beyond that is answered "pending".
        for (var look = 0; look < 2; look++)
        {
            var record = await _store.GetAsync(request.BookingId, ct);
            if (record is null)
            {
                if (!_lane.TryTakePlace(request.BookingId))
                {
                    return new SubmissionResult.Pending(null, SubmissionReasons.WaitingForPlace) { CheckAfter = _lane.PlaceRetry() };
                }
                var claim = NewClaim(request);
                if (await _store.TryCreateAsync(claim, ct))
                {
                    return await SendUnderClaimAsync(claim, ct, request.GasEstimate) ?? await SentAsync(request.BookingId, ct);
                }
                continue;
            }
            if (record.IsFinished && (record.Outcome != request.Outcome || record.MetricsHash != request.MetricsHash))
            {
                _logger.RequestDiffers(record.BookingId, record.Outcome, record.MetricsHash, request.Outcome);
            }
            switch (record.State)
            {
                case AttestationTxState.Final:
                    return new SubmissionResult.Mined(record.MinedHash!.Value, record.MinedBlockNumber ?? 0) { Final = true };
                case AttestationTxState.Mined:
                    return await CheckMinedAsync(record, ct);
                case AttestationTxState.Settled:
                    return await SettledAsync(record.BookingId, record.MinedHash, ct);
                case AttestationTxState.Failed:
                    return await FailedRecordAsync(record, ct);
                case AttestationTxState.Claimed when record.Sent.Count == 0:
                    // Someone else's claim: give its owner one receipt timeout to send, then take it over.
                    if (!IsStale(record))
                    {
                        return new SubmissionResult.Pending(null, SubmissionReasons.ClaimedElsewhere);
                    }
                    if (await TakeOverAsync(record, request, ct) is { } taken)
                    {
                        _lane.Occupy(request.BookingId);
                        return await SendUnderClaimAsync(taken, ct, request.GasEstimate) ?? await SentAsync(request.BookingId, ct);
                    }
                    continue;
                default:
                    _lane.Occupy(request.BookingId);
                    return await TrackAsync(record, ct) ?? await SentAsync(request.BookingId, ct);
            }
        }
        return new SubmissionResult.Pending(null, SubmissionReasons.ClaimedElsewhere);
    }

    /// <summary>The answer once something is (or may be) in a pool: pending, with the hash last sent.</summary>
    private async Task<SubmissionResult> SentAsync(BookingId id, CancellationToken ct)
    {
        var record = await _store.GetAsync(id, ct);
        return record switch
        {
            { State: AttestationTxState.Mined or AttestationTxState.Final } mined =>
                new SubmissionResult.Mined(mined.MinedHash!.Value, mined.MinedBlockNumber ?? 0) { Final = mined.State == AttestationTxState.Final },
            { Sent.Count: > 0 } sent => new SubmissionResult.Pending(sent.Sent[^1].Hash, SubmissionReasons.WaitingForReceipt),
            _ => new SubmissionResult.Pending(null, SubmissionReasons.ClaimedElsewhere),
        };
    }

    private AttestationTxRecord NewClaim(AttestationRequest request) =>
        new(request.BookingId, request.Outcome, request.MetricsHash, AttestationTxState.Claimed, [], null, null)
        {
            ClaimToken = Guid.NewGuid().ToString("N"),
            ClaimedAtUnixMs = NowUnixMs(),
        };

    private bool IsStale(AttestationTxRecord claim) => NowUnixMs() - claim.ClaimedAtUnixMs >= (long)_options.ReceiptTimeout.TotalMilliseconds;

    private async Task<AttestationTxRecord?> TakeOverAsync(AttestationTxRecord stale, AttestationRequest request, CancellationToken ct)
    {
        // Release and re-create are each atomic and fenced: of several takers one wins, and the old owner's
        // next UpdateAsync fails, so it never sends under the claim it lost.
        if (!await _store.TryReleaseAsync(stale.BookingId, stale.ClaimToken, ct))
        {
            return null;
        }
        _logger.TakingOver(stale.BookingId, stale.ClaimedAtUnixMs);
        var claim = NewClaim(request);
        return await _store.TryCreateAsync(claim, ct) ? claim : null;
    }

    /// <summary>
    /// Under a claim we own (fresh, or one whose nonce went to another transaction): re-read the booking,
    /// simulate, sign and send. Null when something was sent or the claim was lost: follow the record.
    /// </summary>
    private async Task<SubmissionResult?> SendUnderClaimAsync(AttestationTxRecord record, CancellationToken ct, ulong? prepared = null)
    {
        var preparing = false;
        try
        {
            await _lane.Preparing.WaitAsync(ct);
            preparing = true;
            // A caller's fresh estimate (the call would not revert, so the booking was Booked) stands for the re-read.
            if (prepared is not { } estimate)
            {
                var booking = await _escrow.GetBookingAsync(record.BookingId, ct);
                if (booking is null)
                {
                    await ReleaseAsync(record, ct);
                    return new SubmissionResult.Failed(SubmissionReasons.BookingNotFound);
                }
                if (booking.Status != BookingStatus.Booked)
                {
                    await SaveAsync(record with { State = AttestationTxState.Settled }, ct);
                    _logger.AlreadySettled(record.BookingId, booking.Status);
                    return new SubmissionResult.AlreadySettled(booking.Status, booking.OracleOutcome, null);
                }
                try
                {
                    // Against "pending": an automine anvil's "latest" timestamp can be minutes old.
                    estimate = await _escrow.EstimateAttestGasAsync(_oracle.Address, record.BookingId, record.Outcome, record.MetricsHash, ct);
                }
                catch (EscrowRevertException e)
                {
                    return await RefusedBeforeSendingAsync(record, e.Error, ct);
                }
            }
            var gas = checked(estimate * (ulong)(100 + _options.GasHeadroomPercent) / 100);
            var fees = await _lane.QuoteFeesAsync(Eth, _options, ct);
            if (await SendNewAsync(record, gas, fees, ct) is { } refused)
            {
                await ReleaseAsync(record, ct);
                return new SubmissionResult.Failed(SubmissionReasons.Of(refused));
            }
            return null;
        }
        catch (AttestationClaimLostException)
        {
            _logger.ClaimLost(record.BookingId);
            return null;
        }
        catch (Exception) when (record.Sent.Count == 0)
        {
            // Nothing of ours can be in a pool unless the record says Sent, and then the release is refused.
            await TryReleaseQuietlyAsync(record);
            throw;
        }
        finally
        {
            if (preparing)
            {
                _lane.Preparing.Release();
            }
        }
    }

    private async Task<SubmissionResult> RefusedBeforeSendingAsync(AttestationTxRecord record, EscrowError error, CancellationToken ct)
    {
        if (error.Kind == EscrowErrorKind.NotBooked)
        {
            await SaveAsync(record with { State = AttestationTxState.Settled }, ct);
            return await SettledAsync(record.BookingId, null, ct);
        }
        _logger.Refused(record.BookingId, record.Outcome, error.ToString());
        if (error.IsWindowMissed)
        {
            await SaveAsync(record with { State = AttestationTxState.Failed, Error = $"window missed: {error}" }, ct);
            return new SubmissionResult.WindowMissed(error);
        }
        // Not due yet, not the oracle, a bad outcome: nothing was sent, so the booking is free for a later try.
        await ReleaseAsync(record, ct);
        return error.IsNotDueYet
            ? new SubmissionResult.NotDueYet(error)
            : Fail(error.Kind == EscrowErrorKind.NotOracle ? SubmissionReasons.NotOracle : $"contract refused: {error.Kind}");
    }

    /// <summary>Looks up every hash of the record; replaces the transaction once the last send is older than the receipt timeout.</summary>
    private async Task<SubmissionResult?> TrackAsync(AttestationTxRecord record, CancellationToken ct)
    {
        if (await FindReceiptAsync(record, ct) is { } receipt)
        {
            return await ConcludeAsync(record, receipt, ct);
        }
        var last = record.Sent[^1];
        if (NowUnixMs() - last.SentAtUnixMs < (long)_options.ReceiptTimeout.TotalMilliseconds)
        {
            return null;
        }
        return await ReplaceAsync(record, ct);
    }

    /// <summary>
    /// A mined record not yet final: its receipt must still be there. Gone while the booking is Booked again means a
    /// reorg dropped the block: the same signed transaction goes out again. Enough blocks on top make it final.
    /// </summary>
    private async Task<SubmissionResult> CheckMinedAsync(AttestationTxRecord record, CancellationToken ct)
    {
        var hash = record.MinedHash!.Value;
        var receipt = await _lane.Receipts(Eth).GetAsync(hash, ct);
        if (receipt is null)
        {
            var booking = await _escrow.GetBookingAsync(record.BookingId, ct);
            if (booking is { Status: BookingStatus.Booked })
            {
                return await ResendAfterReorgAsync(record, ct);
            }
            if (booking is { Status: not BookingStatus.None } && booking.OracleOutcome == record.Outcome && booking.MetricsHash == record.MetricsHash)
            {
                // Attested with our outcome, but the node has not indexed the receipt (again) yet: look later.
                return new SubmissionResult.Mined(hash, record.MinedBlockNumber ?? 0);
            }
            await SaveAsync(record with { State = AttestationTxState.Settled }, ct);
            return await SettledAsync(record.BookingId, null, ct);
        }
        if (!receipt.Succeeded)
        {
            // Re-mined after a reorg in another order, where it reverted (another attester or a cancellation came first).
            return await ConcludeAsync(record with { State = AttestationTxState.Sent }, receipt, ct);
        }
        var head = await _lane.HeadAsync(Eth, ct);
        var confirmations = head >= receipt.BlockNumber ? head - receipt.BlockNumber + 1 : 0;
        var final = confirmations >= (ulong)_options.Confirmations;
        if (final || receipt.BlockHash != record.MinedBlockHash || receipt.BlockNumber != record.MinedBlockNumber)
        {
            await SaveAsync(record with
            {
                State = final ? AttestationTxState.Final : AttestationTxState.Mined,
                MinedBlockNumber = receipt.BlockNumber,
                MinedBlockHash = receipt.BlockHash,
            }, ct);
        }
        if (final)
        {
            _logger.Final(record.BookingId, receipt.BlockNumber, confirmations, hash);
        }
        return new SubmissionResult.Mined(hash, receipt.BlockNumber) { Final = final };
    }

    /// <summary>
    /// The attestation's block is no longer canonical and the booking is Booked again: back to Sent, with the mined
    /// transaction (same nonce, same bytes) sent again as the newest entry, so at most one attestation can land.
    /// </summary>
    private async Task<SubmissionResult> ResendAfterReorgAsync(AttestationTxRecord record, CancellationToken ct)
    {
        var mined = record.Sent.FirstOrDefault(s => s.Hash == record.MinedHash) ?? record.Sent[^1];
        var again = mined with { SentAtUnixMs = NowUnixMs() };
        var back = record with
        {
            State = AttestationTxState.Sent,
            Sent = [.. record.Sent.Where(s => s.Hash != mined.Hash), again],
            MinedHash = null,
            MinedBlockNumber = null,
            MinedBlockHash = null,
        };
        _logger.Reorged(record.BookingId, mined.Hash, record.MinedBlockNumber ?? 0);
        await SaveAsync(back, ct);
        _lane.Occupy(record.BookingId);
        await RebroadcastAsync(record.BookingId, again, ct);
        return new SubmissionResult.Pending(mined.Hash, SubmissionReasons.ResentAfterReorg);
    }

    private async Task<TransactionReceipt?> FindReceiptAsync(AttestationTxRecord record, CancellationToken ct)
    {
        for (var i = record.Sent.Count - 1; i >= 0; i--)
        {
            if (await _lane.Receipts(Eth).GetAsync(record.Sent[i].Hash, ct) is { } receipt)
            {
                return receipt;
            }
        }
        return null;
    }

    /// <summary>A receipt for one of our hashes: success is Mined; a revert is replayed at its block to learn why.</summary>
    private async Task<SubmissionResult> ConcludeAsync(AttestationTxRecord record, TransactionReceipt receipt, CancellationToken ct)
    {
        var hash = receipt.TransactionHash;
        if (receipt.Succeeded)
        {
            var final = _options.Confirmations <= 1;
            await SaveAsync(record with
            {
                State = final ? AttestationTxState.Final : AttestationTxState.Mined,
                MinedHash = hash,
                MinedBlockNumber = receipt.BlockNumber,
                MinedBlockHash = receipt.BlockHash,
                Error = null,
            }, ct);
            _logger.Mined(record.BookingId, receipt.BlockNumber, hash);
            return new SubmissionResult.Mined(hash, receipt.BlockNumber) { Final = final };
        }
        var error = await ReasonAtBlockAsync(record, receipt.BlockNumber, ct);
        if (error?.Kind == EscrowErrorKind.NotBooked)
        {
            // Lost a race to another attestation or a cancellation: the booking is settled, which is what we wanted.
            await SaveAsync(record with { State = AttestationTxState.Settled, MinedHash = hash, MinedBlockNumber = receipt.BlockNumber }, ct);
            return await SettledAsync(record.BookingId, hash, ct);
        }
        if (error is { IsNotDueYet: true })
        {
            // The nonce is spent and nothing of ours is pending: free the booking for a later, due attempt.
            _logger.Reverted(record.BookingId, hash, error.ToString());
            await ReleaseAsync(record, ct);
            return new SubmissionResult.NotDueYet(error);
        }
        var gasLimit = record.Sent.FirstOrDefault(s => s.Hash == hash)?.GasLimit ?? 0;
        var reason = error?.ToString()
            ?? (receipt.GasUsed >= gasLimit ? $"out of gas ({receipt.GasUsed} used)" : "reverted, but not when replayed at its block");
        _logger.Reverted(record.BookingId, hash, reason);
        var prefix = error is { IsWindowMissed: true } ? "window missed" : $"reverted on chain in block {receipt.BlockNumber}";
        await SaveAsync(record with { State = AttestationTxState.Failed, MinedHash = hash, MinedBlockNumber = receipt.BlockNumber, Error = $"{prefix}: {reason}" }, ct);
        return error is { IsWindowMissed: true }
            ? new SubmissionResult.WindowMissed(error)
            : Fail(error is null && receipt.GasUsed >= gasLimit ? $"{SubmissionReasons.Reverted}: out of gas" : $"{SubmissionReasons.Reverted}: {error?.Kind.ToString() ?? "unknown reason"}");
    }

    // A receipt carries no reason: re-run the call on the state of its block, with its timestamp.
    private async Task<EscrowError?> ReasonAtBlockAsync(AttestationTxRecord record, ulong blockNumber, CancellationToken ct)
    {
        try
        {
            var call = new CallRequest(_escrow.Address, EscrowAbi.AttestCall(record.BookingId, record.Outcome, record.MetricsHash), _oracle.Address);
            await Eth.CallAsync(call, BlockTag.Number(blockNumber), ct);
            return null;
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.Reverted)
        {
            return EscrowError.FromRevert(e.Error.Revert ?? new RevertReason.Empty());
        }
    }

    /// <summary>A record found Failed: the chain may have moved on since (settled by someone, or the window closed).</summary>
    private async Task<SubmissionResult> FailedRecordAsync(AttestationTxRecord record, CancellationToken ct)
    {
        var booking = await _escrow.GetBookingAsync(record.BookingId, ct);
        if (booking is not { Status: BookingStatus.Booked })
        {
            return new SubmissionResult.AlreadySettled(booking?.Status ?? BookingStatus.None, booking?.OracleOutcome ?? Outcome.None, record.MinedHash);
        }
        var error = await _escrow.SimulateAttestAsync(_oracle.Address, record.BookingId, record.Outcome, record.MetricsHash, ct);
        return error is { IsWindowMissed: true }
            ? new SubmissionResult.WindowMissed(error)
            // The record's error keeps the node's and the replay's words for the log; the result carries a public reason.
            : new SubmissionResult.Failed(record.MinedHash is null ? SubmissionReasons.SubmissionFailed : SubmissionReasons.Reverted);
    }

    private async Task<SubmissionResult> SettledAsync(BookingId id, Hash32? ourHash, CancellationToken ct)
    {
        var booking = await _escrow.GetBookingAsync(id, ct);
        var status = booking?.Status ?? BookingStatus.None;
        _logger.AlreadySettled(id, status);
        return new SubmissionResult.AlreadySettled(status, booking?.OracleOutcome ?? Outcome.None, ourHash);
    }

    /// <summary>Gives the booking back: drops our spent transactions from the record, then deletes the claim.</summary>
    private async Task ReleaseAsync(AttestationTxRecord record, CancellationToken ct)
    {
        try
        {
            if (record.Sent.Count > 0 || record.State != AttestationTxState.Claimed)
            {
                await _store.UpdateAsync(record with { State = AttestationTxState.Claimed, Sent = [], MinedHash = null, MinedBlockNumber = null, Error = null }, ct);
            }
            await _store.TryReleaseAsync(record.BookingId, record.ClaimToken, ct);
        }
        catch (AttestationClaimLostException)
        {
            _logger.ClaimLost(record.BookingId);
        }
    }

    private async Task TryReleaseQuietlyAsync(AttestationTxRecord record)
    {
        try
        {
            await _store.TryReleaseAsync(record.BookingId, record.ClaimToken, CancellationToken.None);
        }
        catch (Exception)
        {
            // The claim then goes stale and is taken over after one receipt timeout.
        }
    }

    private async Task SaveAsync(AttestationTxRecord record, CancellationToken ct)
    {
        try
        {
            await _store.UpdateAsync(record, ct);
        }
        catch (AttestationClaimLostException)
        {
            _logger.ClaimLost(record.BookingId);
        }
    }

    /// <summary>A failure the key's health shows (<see cref="OracleStatus"/>), with its classified reason.</summary>
    private SubmissionResult.Failed Fail(string reason)
    {
        _status?.Fault(reason, NowUnixMs());
        return new SubmissionResult.Failed(reason);
    }

    private long NowUnixMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
