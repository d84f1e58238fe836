
namespace SessionVoice.Core.Escrow.Submission;

/// <summary>Whatever carries an attestation to the chain: the submitter in-process, or the oracle actor.</summary>
public interface IAttestationSender
{
    /// <summary>
    /// One step, never waiting for a block: sends when nothing is recorded for the booking (answered
    /// <see cref="SubmissionResult.Pending"/> once broadcast), otherwise checks what was sent. Call again until the
    /// answer is not Pending (and, for <see cref="SubmissionResult.Mined"/>, until it is final).
    /// </summary>
    Task<SubmissionResult> SubmitAsync(AttestationRequest request, CancellationToken ct);

    /// <summary>
    /// Whether the contract would take this attestation now (simulated, nothing sent), and whether anything was
    /// already sent for the booking: what an operator's forced outcome must know before it is recorded.
    /// </summary>
    Task<Preflight> PreflightAsync(AttestationRequest request, CancellationToken ct);
}

/// <summary><paramref name="Refusal"/>: the contract's reason to refuse (null: it would take it). <paramref name="AnythingSent"/>: a transaction for the booking exists.</summary>
public sealed record Preflight(EscrowError? Refusal, bool AnythingSent);
