using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Sessions;

public sealed record SettlementOptions(PolicyParameters Policy, bool ObservedOnly)
{
    /// <summary>How soon to retry when the chain's clock says "not yet" for an attestation the policy found due.</summary>
    public TimeSpan NotDueRetry { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan FailedRetry { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What one evaluation of a booking did.</summary>
public sealed record SettlementStep(Decision Decision, StoredAttestation? Attestation)
{
    /// <summary>How long reading the booking's presence and deciding took (zero when it was not decided again).</summary>
    public TimeSpan Deciding { get; init; }
}

/// <summary>
/// Decides a booking with <see cref="OutcomePolicy"/> and carries the decision to the chain — the one
/// code path both runtimes run (standalone: a lock per booking; Dapr: the booking actor's turn).
/// A decision is written down (outcome, preimage, hash) before any transaction and never changes
/// after that; submission itself is idempotent per booking.
/// </summary>
public sealed class BookingSettlement(
    IBookingDirectory bookings,
    IBookingStore store,
    ChainInfo chain,
    SettlementOptions options,
    SettlementCounters counters,
    TimeProvider time,
    ILogger<BookingSettlement> logger,
    IAttestationSender? sender = null)
{
    public PolicyParameters Policy => options.Policy;

    public MetricsSource SourceOfDecisions => options.ObservedOnly ? MetricsSource.Observed : MetricsSource.Claimed;

    /// <summary>
    /// The events that decide: with webhooks configured only what Agora observed (claims are still
    /// recorded and shown), otherwise the clients' join/leave claims.
    /// </summary>
    public async Task<IReadOnlyList<PresenceEvent>> EventsAsync(BookingSnapshot snapshot, CancellationToken ct) =>
        options.ObservedOnly
            ? DecidingEvents(true, snapshot, [], await store.ObservedAsync(snapshot.Id, ct))
            : await store.ClaimsAsync(snapshot.Id, ct);

    /// <summary>Observed events (mapped to host and guest by the booking's uids) when webhooks decide, else the claims.</summary>
    public static IReadOnlyList<PresenceEvent> DecidingEvents(bool observedOnly, BookingSnapshot snapshot, IReadOnlyList<PresenceEvent> claims, IReadOnlyList<ObservedEvent> observed)
    {
        if (!observedOnly)
        {
            return claims;
        }
        var (hostUid, guestUid) = AgoraUid.ForParticipants(snapshot.Host, snapshot.Guest);
        return ObservedPresence.ToPresence(observed, hostUid, guestUid);
    }

    /// <summary>Decides now and acts on the answer; reschedules the booking accordingly.</summary>
    public async Task<SettlementStep> EvaluateAsync(BookingId id, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (await store.GetAttestationAsync(id, ct) is { } existing)
        {
            if (existing.Status is AttestationStatus.Pending)
            {
                return new SettlementStep(new Decision.Attest(existing.Outcome), await SubmitAsync(existing, ct));
            }
            await store.ScheduleAsync(id, null, existing.Status.ToString(), now, ct);
            return new SettlementStep(new Decision.Attest(existing.Outcome), existing);
        }
        var snapshot = await bookings.GetAsync(id, ct);
        if (snapshot is null)
        {
            await store.ScheduleAsync(id, null, "not found", now, ct);
            return new SettlementStep(new Decision.Done(BookingStatus.None), null);
        }
        var reading = Stopwatch.GetTimestamp();
        var events = await EventsAsync(snapshot, ct);
        var at = DecisionTime(await store.DueAtAsync(id, ct), now);
        var decision = OutcomePolicy.Decide(snapshot, events, at, options.Policy);
        var deciding = Stopwatch.GetElapsedTime(reading);
        counters.Decision(decision);
        logger.LogDebug("Decided {BookingId} as of {At} (now {Now}): {Decision}", id, at, now, decision);
        switch (decision)
        {
            case Decision.Wait wait:
                await store.ScheduleAsync(id, wait.UntilUnixSeconds, $"wait until {wait.UntilUnixSeconds}", now, ct);
                return new SettlementStep(decision, null) { Deciding = deciding };
            case Decision.Done done:
                await store.ScheduleAsync(id, null, $"done: {done.OnChainStatus}", now, ct);
                return new SettlementStep(decision, null) { Deciding = deciding };
            case Decision.WindowMissed missed:
                await store.TryRecordDecisionAsync(Record(snapshot, missed.Outcome, SourceOfDecisions, events, now, AttestationStatus.WindowMissed, "decided after the contract's window"), ct);
                await store.ScheduleAsync(id, null, "window missed", now, ct);
                counters.MissWindow();
                logger.LogWarning("Window missed for {BookingId}: {Outcome} was decided too late to attest; the contract's fallback refunds the guest", id, missed.Outcome);
                return new SettlementStep(decision, await store.GetAttestationAsync(id, ct)) { Deciding = deciding };
            case Decision.Attest attest:
                var record = Record(snapshot, attest.Outcome, SourceOfDecisions, events, now, AttestationStatus.Pending, null);
                await store.TryRecordDecisionAsync(record, ct);
                logger.LogInformation("Decided {BookingId}: {Outcome} (metrics {MetricsHash})", id, attest.Outcome, record.MetricsHash);
                return new SettlementStep(decision, await SubmitAsync((await store.GetAttestationAsync(id, ct))!, ct)) { Deciding = deciding };
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
        if (await store.GetAttestationAsync(snapshot.Id, ct) is { Status: not AttestationStatus.Pending } final)
        {
            return final;
        }
        var events = await EventsAsync(snapshot, ct);
        await store.TryRecordDecisionAsync(Record(snapshot, outcome, MetricsSource.Forced, events, now, AttestationStatus.Pending, null), ct);
        return await SubmitAsync((await store.GetAttestationAsync(snapshot.Id, ct))!, ct);
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
        if (sender is null)
        {
            await store.UpdateAttestationAsync(id, AttestationStatus.Pending, null, "ORACLE_PRIVATE_KEY is not configured", now, ct);
            await store.ScheduleAsync(id, now + (long)options.FailedRetry.TotalSeconds, "waiting for an oracle key", now, ct);
            return (await store.GetAttestationAsync(id, ct))!;
        }
        counters.Submit();
        var result = await sender.SubmitAsync(new AttestationRequest(id, decided.Outcome, decided.MetricsHash), ct);
        now = time.GetUtcNow().ToUnixTimeSeconds();
        switch (result)
        {
            case SubmissionResult.Mined mined:
                await store.UpdateAttestationAsync(id, AttestationStatus.Mined, mined.TxHash, null, now, ct);
                await store.ScheduleAsync(id, null, "attested", now, ct);
                counters.Mine();
                logger.LogInformation("Attested {BookingId}: {Outcome} in {TxHash}", id, decided.Outcome, mined.TxHash);
                break;
            case SubmissionResult.AlreadySettled settled:
                await store.UpdateAttestationAsync(id, AttestationStatus.Settled, settled.TxHash, $"on chain: {settled.OnChainStatus} {settled.OnChainOutcome}", now, ct);
                await store.ScheduleAsync(id, null, "settled on chain", now, ct);
                counters.Settle();
                logger.LogInformation("Booking {BookingId} already settled on chain ({Status})", id, settled.OnChainStatus);
                break;
            case SubmissionResult.NotDueYet notDue:
                await store.UpdateAttestationAsync(id, AttestationStatus.Pending, null, $"not due yet on chain: {notDue.Error.Kind}", now, ct);
                await store.ScheduleAsync(id, now + (long)options.NotDueRetry.TotalSeconds, "not due yet on chain", now, ct);
                break;
            case SubmissionResult.WindowMissed missed:
                await store.UpdateAttestationAsync(id, AttestationStatus.WindowMissed, null, $"contract refused: {missed.Error.Kind}", now, ct);
                await store.ScheduleAsync(id, null, "window missed", now, ct);
                counters.MissWindow();
                logger.LogWarning("Window missed for {BookingId}: the contract refused {Outcome} ({Reason})", id, decided.Outcome, missed.Error.Kind);
                break;
            case SubmissionResult.Failed failed:
                await store.UpdateAttestationAsync(id, AttestationStatus.Pending, null, failed.Reason, now, ct);
                await store.ScheduleAsync(id, now + (long)options.FailedRetry.TotalSeconds, "submission failed; retrying", now, ct);
                counters.Fail();
                logger.LogError("Attestation of {BookingId} failed: {Reason}", id, failed.Reason);
                break;
        }
        return (await store.GetAttestationAsync(id, ct))!;
    }
}
