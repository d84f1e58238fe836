using Dapr.Actors;
using Dapr.Actors.Client;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Actors;

/// <summary>
/// Dapr mode's <see cref="IAttestationSender"/>: every attestation goes through the oracle key's actor, whose turns run
/// one at a time for the whole cluster. So what needs no single writer happens here, in the booking actor's turn
/// (booking actors run in parallel): a first send is estimated before asking, and a pending transaction without a
/// receipt yet is answered from the node directly, without a turn of the oracle actor, until its replacement could
/// be due. The oracle actor's turns only claim, sign, persist, send, and conclude or replace.
/// </summary>
public sealed class OracleActorSender(IActorProxyFactory proxies, Address oracle, EscrowClient? escrow = null, TimeProvider? time = null, TimeSpan? receiptTimeout = null)
    : IAttestationSender
{
    public const string ActorType = nameof(OracleActor);

    public async Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct)
    {
        if (await StillWaitingAsync(request, ct) is { } waiting)
        {
            return waiting;
        }
        return (await Actor().SubmitAsync((await PrepareAsync(request, ct)).ToDto())).ToResult();
    }

    public async Task<Preflight> PreflightAsync(AttestationRequest request, CancellationToken ct) =>
        (await Actor().PreflightAsync(request.ToDto())).ToPreflight();

    /// <summary>Pending, no receipt, and younger than the receipt timeout (after which the oracle actor may replace it): nothing to do yet.</summary>
    private async Task<SubmissionResult?> StillWaitingAsync(AttestationRequest request, CancellationToken ct)
    {
        if (escrow is null || time is null || receiptTimeout is not { } timeout || request is not { SentHash: { } hash, PendingSinceUnix: { } since })
        {
            return null;
        }
        if (time.GetUtcNow().ToUnixTimeSeconds() - since >= (long)timeout.TotalSeconds)
        {
            return null;
        }
        return await escrow.Eth.GetTransactionReceiptAsync(hash, ct) is null
            ? new SubmissionResult.Pending(hash, SubmissionReasons.WaitingForReceipt)
            : null;
    }

    private async Task<AttestationRequest> PrepareAsync(AttestationRequest request, CancellationToken ct)
    {
        if (request.SentHash is not null || request.GasEstimate is not null || escrow is null)
        {
            return request;
        }
        try
        {
            return request with { GasEstimate = await escrow.EstimateAttestGasAsync(oracle, request.BookingId, request.Outcome, request.MetricsHash, ct) };
        }
        catch (EscrowRevertException)
        {
            // The contract would refuse it: the oracle actor re-reads and records why (settled, window missed, ...).
            return request;
        }
    }

    private IOracleActor Actor() => proxies.CreateActorProxy<IOracleActor>(new ActorId(oracle.ToString()), ActorType);
}
