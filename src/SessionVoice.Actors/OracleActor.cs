using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Actors;

/// <summary>What the oracle actor needs: the escrow, the key and its process-wide lane, and how to send.</summary>
public sealed record OracleActorServices(EscrowClient Escrow, ISigner Oracle, OracleKeyLane Lane, SubmitterOptions Options, TimeProvider Time, ILoggerFactory LoggerFactory, OracleStatus? Status = null);

/// <summary>
/// One actor per oracle address (id = lowercase address). Dapr runs one turn at a time per actor
/// across all replicas, so this is the single writer of the key's nonces; its transaction records
/// live in its own state, saved before each send.
/// </summary>
public sealed class OracleActor : Actor, IOracleActor
{
    private readonly OracleActorServices _services;

    public OracleActor(ActorHost host, OracleActorServices services, IActorStateManager? stateManager = null)
        : base(host)
    {
        _services = services;
        if (stateManager is not null)
        {
            StateManager = stateManager;
        }
    }

    private OracleSubmitter Submitter()
    {
        if (!string.Equals(Id.GetId(), _services.Oracle.Address.ToString(), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"oracle actor {Id.GetId()} does not hold that key");
        }
        return new OracleSubmitter(
            _services.Escrow, _services.Oracle, new ActorAttestationTxStore(StateManager), _services.Options, _services.Time,
            _services.LoggerFactory.CreateLogger<OracleSubmitter>(), _services.Lane, _services.Status);
    }

    public async Task<SubmissionResultDto> SubmitAsync(AttestationRequestDto request) =>
        (await Submitter().SubmitAsync(request.ToRequest(), CancellationToken.None)).ToDto();

    public async Task<PreflightDto> PreflightAsync(AttestationRequestDto request) =>
        (await Submitter().PreflightAsync(request.ToRequest(), CancellationToken.None)).ToDto();

    public async Task<int> ResumeAsync() => (await Submitter().ResumeAsync(CancellationToken.None)).Count;
}
