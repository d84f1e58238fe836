using SessionVoice.Api.Escrow;
using SessionVoice.Api.Sessions;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Settlement;

public sealed record SettlementOptions(PolicyParameters Policy, bool ObservedOnly)
{
    /// <summary>How soon to retry when the chain's clock says "not yet" for an attestation the policy found due.</summary>
    public TimeSpan NotDueRetry { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan FailedRetry { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What one evaluation of a booking did.</summary>
public sealed record SettlementStep(Decision Decision, StoredAttestation? Attestation);

/// <summary>
/// Decides a booking with <see cref="OutcomePolicy"/> and carries the decision to the chain. Callers
/// hold the booking's lock. A decision is written down (outcome, preimage, hash) before any
/// transaction and never changes after that; submission itself is idempotent per booking.
/// </summary>
public sealed class BookingSettlement(
    IBookingDirectory bookings,
    IPresenceStore presence,
    SqliteObservedStore observed,
    SqliteSettlementStore store,
    ChainInfo chain,
    SettlementOptions options,
    SettlementCounters counters,
    TimeProvider time,
    ILogger<BookingSettlement> logger,
    OracleSubmitter? submitter = null)
{
    public SqliteSettlementStore Store => store;

    /// <summary>
    /// The events that decide: with webhooks configured only what Agora observed (claims are still
    /// recorded and shown), otherwise the clients' join/leave claims.
    /// </summary>
    public async Task<IReadOnlyList<PresenceEvent>> EventsAsync(BookingSnapshot snapshot, CancellationToken ct) =>
        options.ObservedOnly ? ObservedEvents(snapshot) : await presence.ListAsync(snapshot.Id, ct);

    /// <summary>Observed events mapped to host and guest by the booking's uids, in clientSeq order.</summary>
    public IReadOnlyList<PresenceEvent> ObservedEvents(BookingSnapshot snapshot)
    {
        var (hostUid, guestUid) = AgoraUid.ForParticipants(snapshot.Host, snapshot.Guest);
        return ObservedPresence.ToPresence(observed.List(snapshot.Id), hostUid, guestUid);
    }

    public MetricsSource SourceOfDecisions => options.ObservedOnly ? MetricsSource.Observed : MetricsSource.Claimed;

    public PolicyParameters Policy => options.Policy;

    /// <summary>Decides now and acts on the answer; reschedules the booking accordingly.</summary>
    public async Task<SettlementStep> EvaluateAsync(BookingId id, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (store.GetAttestation(id) is { } existing)
        {
            if (existing.Status is AttestationStatus.Pending)
            {
                return new SettlementStep(new Decision.Attest(existing.Outcome), await SubmitAsync(existing, ct));
            }
            store.Schedule(id, null, existing.Status.ToString(), now);
            return new SettlementStep(new Decision.Attest(existing.Outcome), existing);
        }
        var snapshot = await bookings.GetAsync(id, ct);
        if (snapshot is null)
        {
            store.Schedule(id, null, "not found", now);
            return new SettlementStep(new Decision.Done(BookingStatus.None), null);
        }
        var events = await EventsAsync(snapshot, ct);
        var at = DecisionTime(store.GetTracked(id)?.DueAtUnix, now);
        var decision = OutcomePolicy.Decide(snapshot, events, at, options.Policy);
        counters.Decision();
        logger.LogDebug("Decided {BookingId} as of {At} (now {Now}): {Decision}", id, at, now, decision);
        switch (decision)
        {
            case Decision.Wait wait:
                store.Schedule(id, wait.UntilUnixSeconds, $"wait until {wait.UntilUnixSeconds}", now);
                return new SettlementStep(decision, null);
            case Decision.Done done:
                store.Schedule(id, null, $"done: {done.OnChainStatus}", now);
                return new SettlementStep(decision, null);
            case Decision.WindowMissed missed:
                var missedRecord = Record(snapshot, missed.Outcome, SourceOfDecisions, events, now, AttestationStatus.WindowMissed, "decided after the contract's window");
                store.TryRecordDecision(missedRecord);
                store.Schedule(id, null, "window missed", now);
                counters.MissWindow();
                logger.LogWarning("Window missed for {BookingId}: {Outcome} was decided too late to attest; the contract's fallback refunds the guest", id, missed.Outcome);
                return new SettlementStep(decision, store.GetAttestation(id));
            case Decision.Attest attest:
                var record = Record(snapshot, attest.Outcome, SourceOfDecisions, events, now, AttestationStatus.Pending, null);
                store.TryRecordDecision(record);
                logger.LogInformation("Decided {BookingId}: {Outcome} (metrics {MetricsHash})", id, attest.Outcome, record.MetricsHash);
                return new SettlementStep(decision, await SubmitAsync(store.GetAttestation(id)!, ct));
            default:
                throw new InvalidOperationException("unknown decision");
        }
    }

    /// <summary>
    /// A wake-up decides as of the second it was due, when it runs a little late: the policy's fallback
    /// no-shows are due in one exact second (Dl = G + D − margin), and a scheduler or reminder that
    /// fires a second late must not turn them into missed windows. "A little" is at most half the
    /// margin, so at least half of the time kept for mining remains; the contract still checks the
    /// real block time.
    /// </summary>
    private long DecisionTime(long? dueAtUnix, long nowUnix)
    {
        var tolerance = (long)options.Policy.Margin.TotalSeconds / 2;
        return dueAtUnix is { } due && due <= nowUnix && nowUnix - due <= tolerance ? due : nowUnix;
    }

    /// <summary>An operator's forced outcome: recorded with source "forced" unless a decision already stands.</summary>
    public async Task<StoredAttestation> ForceAsync(BookingSnapshot snapshot, Outcome outcome, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (store.GetAttestation(snapshot.Id) is { Status: not AttestationStatus.Pending } final)
        {
            return final;
        }
        var events = await EventsAsync(snapshot, ct);
        store.TryRecordDecision(Record(snapshot, outcome, MetricsSource.Forced, events, now, AttestationStatus.Pending, null));
        return await SubmitAsync(store.GetAttestation(snapshot.Id)!, ct);
    }

    private StoredAttestation Record(BookingSnapshot snapshot, Outcome outcome, MetricsSource source, IReadOnlyList<PresenceEvent> events, long now, AttestationStatus status, string? detail)
    {
        var preimage = MetricsCommitment.Build(chain.ChainId, chain.Escrow ?? Address.Zero, snapshot, outcome, source, events, now, options.Policy);
        return new StoredAttestation(snapshot.Id, outcome, (byte)source, preimage.Encode(), preimage.Hash(), null, status, detail, now, now);
    }

    private async Task<StoredAttestation> SubmitAsync(StoredAttestation decided, CancellationToken ct)
    {
        var id = decided.BookingId;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (submitter is null)
        {
            store.UpdateAttestation(id, AttestationStatus.Pending, null, "ORACLE_PRIVATE_KEY is not configured", now);
            store.Schedule(id, now + (long)options.FailedRetry.TotalSeconds, "waiting for an oracle key", now);
            return store.GetAttestation(id)!;
        }
        counters.Submit();
        var result = await submitter.SubmitAsync(new AttestationRequest(id, decided.Outcome, decided.MetricsHash), ct);
        now = time.GetUtcNow().ToUnixTimeSeconds();
        switch (result)
        {
            case SubmissionResult.Mined mined:
                store.UpdateAttestation(id, AttestationStatus.Mined, mined.TxHash, null, now);
                store.Schedule(id, null, "attested", now);
                counters.Mine();
                logger.LogInformation("Attested {BookingId}: {Outcome} in {TxHash}", id, decided.Outcome, mined.TxHash);
                break;
            case SubmissionResult.AlreadySettled settled:
                store.UpdateAttestation(id, AttestationStatus.Settled, settled.TxHash, $"on chain: {settled.OnChainStatus} {settled.OnChainOutcome}", now);
                store.Schedule(id, null, "settled on chain", now);
                counters.Settle();
                logger.LogInformation("Booking {BookingId} already settled on chain ({Status})", id, settled.OnChainStatus);
                break;
            case SubmissionResult.NotDueYet notDue:
                store.UpdateAttestation(id, AttestationStatus.Pending, null, $"not due yet on chain: {notDue.Error.Kind}", now);
                store.Schedule(id, now + (long)options.NotDueRetry.TotalSeconds, "not due yet on chain", now);
                break;
            case SubmissionResult.WindowMissed missed:
                store.UpdateAttestation(id, AttestationStatus.WindowMissed, null, $"contract refused: {missed.Error.Kind}", now);
                store.Schedule(id, null, "window missed", now);
                counters.MissWindow();
                logger.LogWarning("Window missed for {BookingId}: the contract refused {Outcome} ({Reason})", id, decided.Outcome, missed.Error.Kind);
                break;
            case SubmissionResult.Failed failed:
                store.UpdateAttestation(id, AttestationStatus.Pending, null, failed.Reason, now);
                store.Schedule(id, now + (long)options.FailedRetry.TotalSeconds, "submission failed; retrying", now);
                counters.Fail();
                logger.LogError("Attestation of {BookingId} failed: {Reason}", id, failed.Reason);
                break;
        }
        return store.GetAttestation(id)!;
    }
}
