using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Core.Sessions.Settlement;

public sealed record SettlementOptions(PolicyParameters Policy, bool ObservedOnly)
{
    /// <summary>How soon to retry when the chain's clock says "not yet" for an attestation the policy found due.</summary>
    public TimeSpan NotDueRetry { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How soon to retry a submission that failed for a reason that will not pass by itself (not the oracle, a revert).</summary>
    public TimeSpan FailedRetry { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How soon to retry a submission refused for what may pass soon: funds, fees, the node unreachable or rate limiting.</summary>
    public TimeSpan TransientRetry { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How soon to check a sent transaction again (receipt, replacement).</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How soon to check a mined attestation again until it is final.</summary>
    public TimeSpan ConfirmationInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Time kept in hand, for a decision taken late, between the chain's latest block and the end of the
    /// contract's window: a transaction sent now gets one receipt timeout to be mined (the submitter's).
    /// </summary>
    public TimeSpan LateDecisionReserve { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What one evaluation of a booking did.</summary>
public sealed record SettlementStep(Decision Decision, StoredAttestation? Attestation)
{
    /// <summary>How long reading the booking's presence and deciding took (zero when it was not decided again).</summary>
    public TimeSpan Deciding { get; init; }
}

/// <summary>An operator's forced outcome: recorded and on its way, or refused with a public reason (nothing stored).</summary>
public sealed record ForceResult(StoredAttestation? Attestation, string? Refusal);

/// <summary>The timestamp of the chain's latest block (unix seconds): what a late decision is judged against.</summary>
public interface IChainClock
{
    Task<long> LatestBlockTimeAsync(CancellationToken ct);
}

/// <summary>
/// Decides a booking with <see cref="OutcomePolicy"/> and carries the decision to the chain — the one
/// code path both runtimes run (standalone: a lock per booking; Dapr: the booking actor's turn).
/// A decision is written down (outcome, preimage, hash) before any transaction and never changes
/// after that (an operator's force may replace an earlier force while nothing was sent for it).
/// </summary>
/// <remarks>
/// <para><b>Deadlines survive faults.</b> A booking is decided as of the time it was due, whenever its evaluation
/// runs: the policy's wake-ups are followed from the slot's start up to now (each <see cref="Decision.Wait"/> is a
/// time the booking would have been decided at, had nothing failed), so an RPC outage, a restart or a late wake-up
/// yields the answer a punctual service would have given. That answer is only sent while a transaction sent now
/// can still be mined inside the contract's window: judged against the chain's latest block time, with
/// <see cref="SettlementOptions.LateDecisionReserve"/> in hand; otherwise it is recorded as WindowMissed.</para>
/// <para><b>Nothing waits for a block.</b> Each evaluation takes one submission step (send, or check what was sent)
/// and schedules the next check.</para>
/// </remarks>
public sealed class BookingSettlement(
    IBookingDirectory bookings,
    IBookingStore store,
    ChainInfo chain,
    SettlementOptions options,
    SettlementCounters counters,
    TimeProvider time,
    ILogger<BookingSettlement> logger,
    IAttestationSender? sender = null,
    IChainClock? chainClock = null)
{
    /// <summary>Wake-ups followed at most in one evaluation (each moves strictly forward; a booking has a handful).</summary>
    private const int MaxReplayedWaits = 64;

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
            if (existing.Status is AttestationStatus.Pending or AttestationStatus.Mined)
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
        var (at, decision) = DecideOnTime(snapshot, events, now);
        var deciding = Stopwatch.GetElapsedTime(reading);
        if (decision is Decision.Attest late && at < now && !await StillMineableAsync(snapshot, late.Outcome, ct))
        {
            decision = new Decision.WindowMissed(late.Outcome);
        }
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
                await store.TryRecordDecisionAsync(Record(snapshot, missed.Outcome, SourceOfDecisions, events, at, now, AttestationStatus.WindowMissed, "decided after the contract's window"), ct);
                await store.ScheduleAsync(id, null, "window missed", now, ct);
                counters.MissWindow();
                logger.LogWarning("Window missed for {BookingId}: {Outcome} was decided too late to attest; the contract's fallback refunds the guest", id, missed.Outcome);
                return new SettlementStep(decision, await store.GetAttestationAsync(id, ct)) { Deciding = deciding };
            case Decision.Attest attest:
                var record = Record(snapshot, attest.Outcome, SourceOfDecisions, events, at, now, AttestationStatus.Pending, null);
                await store.TryRecordDecisionAsync(record, ct);
                if (at < now)
                {
                    logger.LogInformation("Decided {BookingId} late, as of {At} when it was due (now {Now}): {Outcome}", id, at, now, attest.Outcome);
                }
                logger.LogInformation("Decided {BookingId}: {Outcome} (metrics {MetricsHash})", id, attest.Outcome, record.MetricsHash);
                return new SettlementStep(decision, await SubmitAsync((await store.GetAttestationAsync(id, ct))!, ct)) { Deciding = deciding };
            default:
                throw new InvalidOperationException("unknown decision");
        }
    }

    /// <summary>
    /// The policy's answer as of the time the booking was due: from the slot's start (or now, before it), each
    /// Wait whose time has come is followed, so the answer is the one a punctual service gave at that moment —
    /// the same whether this evaluation runs on time, a second late or after an outage. Presence stamped later
    /// than that moment minus settle does not count, as it would not have then.
    /// </summary>
    private (long At, Decision Decision) DecideOnTime(BookingSnapshot snapshot, IReadOnlyList<PresenceEvent> events, long now)
    {
        var at = Math.Min(now, snapshot.Slot.StartTime);
        var decision = OutcomePolicy.Decide(snapshot, events, at, options.Policy);
        for (var i = 0; i < MaxReplayedWaits && decision is Decision.Wait wait && wait.UntilUnixSeconds <= now && wait.UntilUnixSeconds > at; i++)
        {
            at = wait.UntilUnixSeconds;
            decision = OutcomePolicy.Decide(snapshot, events, at, options.Policy);
        }
        if (decision is Decision.Wait { UntilUnixSeconds: var until } && until <= now)
        {
            // Not a forward wait (never expected of the policy): decide as of now, as before replaying.
            at = now;
            decision = OutcomePolicy.Decide(snapshot, events, now, options.Policy);
        }
        return (at, decision);
    }

    /// <summary>Whether a transaction sent now can still be mined inside the outcome's window, judged by the chain's latest block.</summary>
    private async Task<bool> StillMineableAsync(BookingSnapshot snapshot, Outcome outcome, CancellationToken ct)
    {
        var windows = AttestationWindows.For(snapshot.Slot);
        var closes = outcome == Outcome.Completed ? windows.CompletedCloses : windows.NoShowCloses;
        var chainNow = chainClock is null ? time.GetUtcNow().ToUnixTimeSeconds() : await chainClock.LatestBlockTimeAsync(ct);
        return chainNow + (long)Math.Ceiling(options.LateDecisionReserve.TotalSeconds) <= closes;
    }

    /// <summary>
    /// An operator's forced outcome. The contract is asked first (simulated): a force it would refuse is not
    /// stored. A force replaces an earlier force only while nothing was sent for it; any other recorded decision stands.
    /// </summary>
    public async Task<ForceResult> ForceAsync(BookingSnapshot snapshot, Outcome outcome, string actor, CancellationToken ct)
    {
        var result = await ForceCoreAsync(snapshot, outcome, ct);
        var verdict = result.Refusal is { } why ? $"refused: {why}" : "accepted";
        // Both runtimes keep the trail in the booking's own store: a SQLite table, or the booking actor's state.
        await store.AuditAsync(snapshot.Id, actor, "force_outcome", $"{OutcomeNames.ToApi(outcome)}: {verdict}", time.GetUtcNow().ToUnixTimeSeconds(), ct);
        logger.LogWarning("Forced outcome {Outcome} for {BookingId} by {Actor}: {Verdict}", outcome, snapshot.Id, actor, verdict);
        return result;
    }

    private async Task<ForceResult> ForceCoreAsync(BookingSnapshot snapshot, Outcome outcome, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var existing = await store.GetAttestationAsync(snapshot.Id, ct);
        if (existing is { } same && same.Outcome == outcome && same.Status is not (AttestationStatus.WindowMissed or AttestationStatus.Failed))
        {
            return new ForceResult(same.Status is AttestationStatus.Pending or AttestationStatus.Mined ? await SubmitAsync(same, ct) : same, null);
        }
        if (existing is { } stands && (stands.Status != AttestationStatus.Pending || stands.Source != (byte)MetricsSource.Forced))
        {
            return new ForceResult(null, $"a decision already stands: {stands.Outcome} ({stands.Status.ToString().ToLowerInvariant()})");
        }
        if (sender is null)
        {
            return new ForceResult(null, SubmissionReasons.NoOracleKey);
        }
        if (existing is { } earlier && (await sender.PreflightAsync(new AttestationRequest(earlier.BookingId, earlier.Outcome, earlier.MetricsHash), ct)).AnythingSent)
        {
            return new ForceResult(null, $"the earlier forced outcome {earlier.Outcome} was already sent");
        }
        var events = await EventsAsync(snapshot, ct);
        var record = Record(snapshot, outcome, MetricsSource.Forced, events, now, now, AttestationStatus.Pending, null);
        if ((await sender.PreflightAsync(new AttestationRequest(snapshot.Id, outcome, record.MetricsHash), ct)).Refusal is { } refusal)
        {
            return new ForceResult(null, RefusalText(refusal));
        }
        if (existing is null)
        {
            await store.TryRecordDecisionAsync(record, ct);
        }
        else
        {
            await store.ReplaceDecisionAsync(record, ct);
        }
        return new ForceResult(await SubmitAsync((await store.GetAttestationAsync(snapshot.Id, ct))!, ct), null);
    }

    /// <summary>The contract's refusal in plain words.</summary>
    public static string RefusalText(EscrowError error) => error.Kind switch
    {
        EscrowErrorKind.GraceNotOver => "grace not over",
        EscrowErrorKind.OverlapNotMet => "overlap not met",
        EscrowErrorKind.NoShowTooLate or EscrowErrorKind.TooLate => "too late",
        EscrowErrorKind.NotBooked => "not booked",
        EscrowErrorKind.NotOracle => SubmissionReasons.NotOracle,
        EscrowErrorKind.BadOutcome => "bad outcome",
        _ => "refused by the contract",
    };

    private StoredAttestation Record(BookingSnapshot snapshot, Outcome outcome, MetricsSource source, IReadOnlyList<PresenceEvent> events, long asOf, long now, AttestationStatus status, string? detail)
    {
        var preimage = MetricsCommitment.Build(chain.ChainId, chain.Escrow ?? Address.Zero, snapshot, outcome, source, events, asOf, options.Policy);
        return new StoredAttestation(snapshot.Id, outcome, (byte)source, preimage.Encode(), preimage.Hash(), null, status, detail, now, now);
    }

    /// <summary>One submission step for the recorded decision, and the booking's next wake-up from its answer.</summary>
    private async Task<StoredAttestation> SubmitAsync(StoredAttestation decided, CancellationToken ct)
    {
        var id = decided.BookingId;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (sender is null)
        {
            await store.UpdateAttestationAsync(id, AttestationStatus.Pending, null, SubmissionReasons.NoOracleKey, now, ct);
            await store.ScheduleAsync(id, now + Seconds(options.FailedRetry), "waiting for an oracle key", now, ct);
            return (await store.GetAttestationAsync(id, ct))!;
        }
        SubmissionResult result;
        try
        {
            result = await sender.SubmitAsync(new AttestationRequest(id, decided.Outcome, decided.MetricsHash) 
            {
                SentHash = decided.TxHash,
                PendingSinceUnix = decided.Status == AttestationStatus.Pending ? decided.UpdatedAtUnix : null,
            }, ct);
        }
        catch (Exception e) when (SubmissionReasons.Of(e) is { } reason && !ct.IsCancellationRequested)
        {
            // The node did not answer (or refused to): the decision stands; check again soon with the reason shown.
            now = time.GetUtcNow().ToUnixTimeSeconds();
            await store.UpdateAttestationAsync(id, decided.Status, null, reason, now, ct);
            await store.ScheduleAsync(id, now + Seconds(options.TransientRetry), $"submission: {reason}", now, ct);
            logger.LogWarning("Submitting the attestation of {BookingId} failed: {Reason}", id, reason);
            return (await store.GetAttestationAsync(id, ct))!;
        }
        now = time.GetUtcNow().ToUnixTimeSeconds();
        switch (result)
        {
            case SubmissionResult.Pending pending:
                if (decided.TxHash is null && pending.TxHash is not null)
                {
                    counters.Submit();
                }
                if (!Unchanged(decided, AttestationStatus.Pending, pending.TxHash, pending.Reason))
                {
                    await store.UpdateAttestationAsync(id, AttestationStatus.Pending, pending.TxHash, pending.Reason, now, ct);
                }
                await store.ScheduleAsync(id, now + Seconds(pending.CheckAfter ?? options.CheckInterval), pending.Reason, now, ct);
                if (decided.Status == AttestationStatus.Mined)
                {
                    logger.LogWarning("The attestation of {BookingId} is no longer on chain ({Reason})", id, pending.Reason);
                }
                break;
            case SubmissionResult.Mined { Final: true } final:
                await store.UpdateAttestationAsync(id, AttestationStatus.Final, final.TxHash, null, now, ct);
                await store.ScheduleAsync(id, null, "attested (final)", now, ct);
                if (decided.Status != AttestationStatus.Mined)
                {
                    counters.Mine();
                    logger.LogInformation("Attested {BookingId}: {Outcome} in {TxHash}", id, decided.Outcome, final.TxHash);
                }
                break;
            case SubmissionResult.Mined mined:
                if (!Unchanged(decided, AttestationStatus.Mined, mined.TxHash, SubmissionReasons.WaitingForConfirmations))
                {
                    await store.UpdateAttestationAsync(id, AttestationStatus.Mined, mined.TxHash, SubmissionReasons.WaitingForConfirmations, now, ct);
                }
                await store.ScheduleAsync(id, now + Seconds(options.ConfirmationInterval), "attested; waiting for confirmations", now, ct);
                if (decided.Status != AttestationStatus.Mined)
                {
                    counters.Mine();
                    logger.LogInformation("Attested {BookingId}: {Outcome} in {TxHash}", id, decided.Outcome, mined.TxHash);
                }
                break;
            case SubmissionResult.AlreadySettled settled:
                await store.UpdateAttestationAsync(id, AttestationStatus.Settled, settled.TxHash, $"on chain: {settled.OnChainStatus} {settled.OnChainOutcome}", now, ct);
                await store.ScheduleAsync(id, null, "settled on chain", now, ct);
                counters.Settle();
                logger.LogInformation("Booking {BookingId} already settled on chain ({Status})", id, settled.OnChainStatus);
                break;
            case SubmissionResult.NotDueYet notDue:
                await store.UpdateAttestationAsync(id, AttestationStatus.Pending, null, $"not due yet on chain: {RefusalText(notDue.Error)}", now, ct);
                await store.ScheduleAsync(id, now + Seconds(options.NotDueRetry), "not due yet on chain", now, ct);
                break;
            case SubmissionResult.WindowMissed missed:
                await store.UpdateAttestationAsync(id, AttestationStatus.WindowMissed, null, $"contract refused: {RefusalText(missed.Error)}", now, ct);
                await store.ScheduleAsync(id, null, "window missed", now, ct);
                counters.MissWindow();
                logger.LogWarning("Window missed for {BookingId}: the contract refused {Outcome} ({Reason})", id, decided.Outcome, missed.Error.Kind);
                break;
            case SubmissionResult.Failed failed:
                await store.UpdateAttestationAsync(id, AttestationStatus.Pending, null, failed.Reason, now, ct);
                await store.ScheduleAsync(id, now + Seconds(IsTransient(failed.Reason) ? options.TransientRetry : options.FailedRetry), "submission failed; retrying", now, ct);
                counters.Fail();
                logger.LogError("Attestation of {BookingId} failed: {Reason}", id, failed.Reason);
                break;
        }
        return (await store.GetAttestationAsync(id, ct))!;
    }

    /// <summary>
    /// A check that changed nothing writes nothing: decisions are written with a full sync, and thousands of
    /// bookings waiting for their receipts would otherwise queue their syncs in front of the next send's.
    /// </summary>
    private static bool Unchanged(StoredAttestation stored, AttestationStatus status, Hash32? txHash, string? detail) =>
        stored.Status == status && (txHash is null || stored.TxHash == txHash) && stored.Detail == detail;

    private static bool IsTransient(string reason) => reason is SubmissionReasons.InsufficientFunds or SubmissionReasons.FeeTooLow
        or SubmissionReasons.RpcUnreachable or SubmissionReasons.RpcTimeout or SubmissionReasons.RateLimited or SubmissionReasons.NodeRefused;

    private static long Seconds(TimeSpan span) => Math.Max(0, (long)Math.Ceiling(span.TotalSeconds));
}
