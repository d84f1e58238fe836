namespace SessionVoice.Core.Escrow;

/// <summary>Whatever carries an attestation to the chain: the submitter in-process, or the oracle actor.</summary>
public interface IAttestationSender
{
    Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct);
}
