using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>Reads SessionEscrowV1 and prepares its one write. Reverts surface as <see cref="EscrowRevertException"/>.</summary>
public sealed class EscrowClient(EthClient eth, Address escrow)
{
    public Address Address => escrow;

    public EthClient Eth => eth;

    public async Task<Slot?> GetSlotAsync(BigInteger slotId, CancellationToken ct = default) =>
        EscrowAbi.DecodeSlot(slotId, await CallAsync(EscrowAbi.GetSlotCall(slotId), null, ct).ConfigureAwait(false));

    /// <summary>Null when the booking does not exist (status None).</summary>
    public async Task<Booking?> GetBookingAsync(BookingId id, CancellationToken ct = default) =>
        EscrowAbi.DecodeBooking(id, await CallAsync(EscrowAbi.GetBookingCall(id), null, ct).ConfigureAwait(false));

    /// <summary>Many bookings in one JSON-RPC batch; a failed item throws for the whole call.</summary>
    public async Task<IReadOnlyList<Booking?>> GetBookingsAsync(IReadOnlyList<BookingId> ids, CancellationToken ct = default)
    {
        var results = await CallBatchAsync([.. ids.Select(EscrowAbi.GetBookingCall)], ct).ConfigureAwait(false);
        return [.. results.Select((r, i) => EscrowAbi.DecodeBooking(ids[i], r))];
    }

    /// <summary>Many slots in one JSON-RPC batch (null where a slot does not exist); a failed item throws for the whole call.</summary>
    public async Task<IReadOnlyList<Slot?>> GetSlotsAsync(IReadOnlyList<BigInteger> slotIds, CancellationToken ct = default)
    {
        var results = await CallBatchAsync([.. slotIds.Select(EscrowAbi.GetSlotCall)], ct).ConfigureAwait(false);
        return [.. results.Select((r, i) => EscrowAbi.DecodeSlot(slotIds[i], r))];
    }

    /// <summary>The id the next booking will get: booking ids are handed out in order from 1, so every lower id exists.</summary>
    public async Task<BigInteger> NextBookingIdAsync(CancellationToken ct = default) =>
        new AbiDecoder(await CallAsync(EscrowAbi.NextBookingIdSelector, null, ct).ConfigureAwait(false)).UInt(0);

    public async Task<Address> OracleAsync(CancellationToken ct = default) =>
        new AbiDecoder(await CallAsync(EscrowAbi.OracleSelector, null, ct).ConfigureAwait(false)).Address(0);

    public async Task<long> ChallengeWindowAsync(CancellationToken ct = default) =>
        (long)new AbiDecoder(await CallAsync(EscrowAbi.ChallengeWindowSelector, null, ct).ConfigureAwait(false)).UInt(0, 63);

    /// <summary>
    /// Runs attest as <paramref name="from"/> without sending it. Against "pending", so an automine
    /// chain's stale "latest" timestamp does not make a due attestation look early.
    /// </summary>
    public async Task<EscrowError?> SimulateAttestAsync(Address from, BookingId id, Outcome outcome, Hash32 metricsHash, CancellationToken ct = default)
    {
        try
        {
            await CallAsync(EscrowAbi.AttestCall(id, outcome, metricsHash), from, ct, BlockTag.Pending).ConfigureAwait(false);
            return null;
        }
        catch (EscrowRevertException e)
        {
            return e.Error;
        }
    }

    public async Task<ulong> EstimateAttestGasAsync(Address from, BookingId id, Outcome outcome, Hash32 metricsHash, CancellationToken ct = default)
    {
        try
        {
            return await eth.EstimateGasAsync(new CallRequest(escrow, EscrowAbi.AttestCall(id, outcome, metricsHash), from), BlockTag.Pending, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.Reverted)
        {
            throw new EscrowRevertException(EscrowError.FromRevert(e.Error.Revert ?? new RevertReason.Empty()), e);
        }
    }

    /// <summary>The escrow's SessionBooked / SessionBookingCancelled / Attested events in [from, to].</summary>
    public async Task<IReadOnlyList<EscrowEvent>> GetEventsAsync(ulong fromBlock, ulong toBlock, CancellationToken ct = default)
    {
        var logs = await eth.GetLogsAsync(new LogFilter(escrow, fromBlock, toBlock), ct).ConfigureAwait(false);
        return [.. logs.Where(l => !l.Removed).Select(EscrowAbi.DecodeLog).OfType<EscrowEvent>()];
    }

    private async Task<IReadOnlyList<byte[]>> CallBatchAsync(IReadOnlyList<byte[]> calls, CancellationToken ct)
    {
        if (calls.Count == 0)
        {
            return [];
        }
        var responses = await eth.Rpc.SendBatchAsync([.. calls.Select(data => EthClient.CallRequestFor(new CallRequest(escrow, data)))], ct).ConfigureAwait(false);
        return [.. responses.Select(r => Hex.Decode(r.GetResultOrThrow("eth_call").GetString()!))];
    }

    private async Task<byte[]> CallAsync(byte[] data, Address? from, CancellationToken ct, BlockTag? tag = null)
    {
        try
        {
            return await eth.CallAsync(new CallRequest(escrow, data, from), tag, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.Reverted)
        {
            throw new EscrowRevertException(EscrowError.FromRevert(e.Error.Revert ?? new RevertReason.Empty()), e);
        }
    }
}
