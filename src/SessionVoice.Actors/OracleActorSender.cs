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

    public async Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct)
    {
        var actor = proxies.CreateActorProxy<IOracleActor>(new ActorId(oracle.ToString()), ActorType);
        return (await actor.SubmitAsync(request.ToDto())).ToResult();
    }
}
