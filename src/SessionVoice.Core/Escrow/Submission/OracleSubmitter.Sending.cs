using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>Signing and sending: everything here runs inside the key's lane, persisting before every send.</summary>
public sealed partial class OracleSubmitter
{
    private const int NonceAttempts = 3;

    /// <summary>Signs with a new nonce and sends. Null when sent (or possibly sent); otherwise the node's refusal.</summary>
    private async Task<RpcError?> SendNewAsync(AttestationTxRecord record, ulong gas, AttestationFees fees, CancellationToken ct)
    {
        await _lane.Gate.WaitAsync(ct);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var nonce = await _lane.NextNonceAsync(Eth, ct);
                var signed = Sign(record, nonce, gas, fees, _options.TransactionType);
                await _store.UpdateAsync(WithSent(record, signed, nonce, gas, fees), ct);
                _lane.NextNonce = nonce + 1;
                if (await BroadcastAsync(record.BookingId, signed, ct) is not { } error)
                {
                    _logger.Sent(record.BookingId, record.Outcome, signed.Hash, nonce);
                    _status?.Sent(gas, fees.MaxFeePerGas);
                    return null;
                }
                // Refused outright: it reached no pool, so it leaves the record and its nonce is free again.
                _logger.SendRefused(record.BookingId, signed.Hash, nonce, error.Message);
                await _store.UpdateAsync(record, ct);
                _lane.NextNonce = null;
                // Another sender of this key took the nonce: resync from the node and sign again.
                if (error.Kind is RpcErrorKind.NonceTooLow or RpcErrorKind.ReplacementUnderpriced && attempt < NonceAttempts)
                {
                    continue;
                }
                _status?.Fault(SubmissionReasons.Of(error), NowUnixMs());
                return error;
            }
        }
        finally
        {
            _lane.Gate.Release();
        }
    }

    /// <summary>
    /// No receipt within the timeout: the same nonce again with both fees × 1.125. The record is re-read
    /// inside the lane, so of several callers tracking one booking only the first replaces.
    /// </summary>
    private async Task<SubmissionResult?> ReplaceAsync(AttestationTxRecord seen, CancellationToken ct)
    {
        AttestationTxRecord? record;
        await _lane.Gate.WaitAsync(ct);
        try
        {
            record = await _store.GetAsync(seen.BookingId, ct);
            if (record is null || record.State != AttestationTxState.Sent || record.ClaimToken != seen.ClaimToken || record.Sent.Count != seen.Sent.Count)
            {
                return null;
            }
            var last = record.Sent[^1];
            var minedNonce = await Eth.GetTransactionCountAsync(_oracle.Address, BlockTag.Latest, ct);
            // Looked again after the nonce: one of ours may have been mined since the caller polled.
            if (await FindReceiptAsync(record, ct) is { } receipt)
            {
                return await ConcludeAsync(record, receipt, ct);
            }
            if (minedNonce <= last.Nonce)
            {
                return await ReplaceUnderLaneAsync(record, last, ct);
            }
        }
        finally
        {
            _lane.Gate.Release();
        }
        // The nonce is spent, and by none of our hashes: another transaction of this key took it. Nothing
        // of ours can land any more, so attesting again with a new nonce cannot double up.
        _logger.NonceTaken(record.BookingId, record.Sent[^1].Nonce);
        return await SendUnderClaimAsync(record, ct);
    }

    private async Task<SubmissionResult?> ReplaceUnderLaneAsync(AttestationTxRecord record, SentTransaction last, CancellationToken ct)
    {
        // Entries of an earlier nonce (taken by another transaction) do not count against this one.
        var replacements = record.Sent.Count(s => s.Nonce == last.Nonce) - 1;
        if (replacements >= _options.MaxReplacements)
        {
            _logger.ReplacementsExhausted(record.BookingId, replacements, last.Hash);
            return Fail(SubmissionReasons.NoReceipt);
        }
        var market = await AttestationFees.QuoteAsync(Eth, _options, ct);
        var fees = new AttestationFees(last.MaxFeePerGas, last.MaxPriorityFeePerGas).BumpedAtLeastTo(market);
        for (; replacements < _options.MaxReplacements; replacements++)
        {
            var signed = Sign(record, last.Nonce, last.GasLimit, fees, last.Type);
            await _store.UpdateAsync(WithSent(record, signed, last.Nonce, last.GasLimit, fees), ct);
            if (await BroadcastAsync(record.BookingId, signed, ct) is not { } error)
            {
                _logger.Replaced(record.BookingId, signed.Hash, last.Nonce, replacements + 1);
                return null;
            }
            _logger.SendRefused(record.BookingId, signed.Hash, last.Nonce, error.Message);
            await _store.UpdateAsync(record, ct);
            if (error.Kind == RpcErrorKind.ReplacementUnderpriced)
            {
                fees = fees.BumpedAtLeastTo(market);
                continue;
            }
            if (error.Kind == RpcErrorKind.NonceTooLow)
            {
                // Mined meanwhile (by one of ours or not): the next poll finds out which.
                return null;
            }
            return Fail(SubmissionReasons.Of(error));
        }
        return null;
    }

    private SignedTransaction Sign(AttestationTxRecord record, ulong nonce, ulong gas, AttestationFees fees, TransactionType type)
    {
        // The chain id is the configured one, and the node was checked to report the same before any claim.
        var data = EscrowAbi.AttestCall(record.BookingId, record.Outcome, record.MetricsHash);
        UnsignedTransaction tx = type == TransactionType.Legacy
            ? new LegacyTransaction(_options.ChainId, nonce, fees.MaxFeePerGas, gas, _escrow.Address, 0, data)
            : new Eip1559Transaction(_options.ChainId, nonce, fees.MaxPriorityFeePerGas, fees.MaxFeePerGas, gas, _escrow.Address, 0, data);
        return tx.Sign(_oracle);
    }

    private AttestationTxRecord WithSent(AttestationTxRecord record, SignedTransaction signed, ulong nonce, ulong gas, AttestationFees fees) =>
        record with
        {
            State = AttestationTxState.Sent,
            Sent = [.. record.Sent, new SentTransaction(signed.Hash, signed.Raw, nonce, fees.MaxFeePerGas, fees.MaxPriorityFeePerGas, NowUnixMs()) { GasLimit = gas }],
            Error = null,
        };

    /// <summary>Null when the node took it or may have (a transport failure is inconclusive, so it stays tracked).</summary>
    private async Task<RpcError?> BroadcastAsync(BookingId id, SignedTransaction signed, CancellationToken ct)
    {
        try
        {
            await Eth.SendRawTransactionAsync(signed, ct);
            return null;
        }
        catch (RpcException e) when (IsInconclusive(e))
        {
            _logger.SendInconclusive(id, signed.Hash, e.Message);
            return null;
        }
        catch (RpcException e)
        {
            return e.Error;
        }
    }

    private async Task RebroadcastAsync(BookingId id, SentTransaction sent, CancellationToken ct)
    {
        string answer;
        try
        {
            await Eth.Rpc.SendAsync("eth_sendRawTransaction", [Hex.Encode(sent.Raw)], ct);
            answer = "accepted";
        }
        catch (RpcException e)
        {
            // "already known" is the usual answer; "nonce too low" means it (or another) was mined.
            answer = e.Kind.ToString();
        }
        _logger.Rebroadcast(id, sent.Hash, answer);
    }

    // Code 0 is our own client's verdict (no answer, a non-JSON body, an unexpected hash), not the node's refusal.
    private static bool IsInconclusive(RpcException e) =>
        e.Kind is RpcErrorKind.Transport or RpcErrorKind.Timeout or RpcErrorKind.RateLimited || e.Error.Code == 0;
}
