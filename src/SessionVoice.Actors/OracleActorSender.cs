using Dapr.Actors;
using Dapr.Actors.Client;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Actors;

/// <summary>Dapr mode's <see cref="IAttestationSender"/>: every attestation goes through the oracle key's actor.</summary>
public sealed class OracleActorSender(IActorProxyFactory proxies, Address oracle) : IAttestationSender
{
    public const string ActorType = nameof(OracleActor);

    public async Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct) =>
        (await Actor().SubmitAsync(request.ToDto())).ToResult();

    public async Task<Preflight> PreflightAsync(AttestationRequest request, CancellationToken ct) =>
        (await Actor().PreflightAsync(request.ToDto())).ToPreflight();

    private IOracleActor Actor() => proxies.CreateActorProxy<IOracleActor>(new ActorId(oracle.ToString()), ActorType);
}
