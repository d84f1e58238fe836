using SessionVoice.Api.Settlement;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Sessions;

public enum SessionRefusal
{
    None,
    NotFound,
    NotActive,
    NotParticipant,
    TooEarly,
    Ended,
    ChannelUnavailable,
    NotDue,
    WindowMissed,

    /// <summary>An operator's forced outcome the contract (or a standing decision) refuses; nothing was stored.</summary>
    ForceRefused,
}

/// <summary>Entry to a booking's channel: the channel, the caller's uid and a token.</summary>
public sealed record JoinGrant(AgoraChannel Channel, uint Uid, Party Party, IssuedRtcToken Token);

/// <summary>Who was in the channel, as the service knows it so far.</summary>
public sealed record SessionReport(
    BookingSnapshot Booking,
    PresenceLog Presence,
    IReadOnlyList<PresenceEvent> Events,
    PresenceLog Claims,
    long NowMs,
    Decision Decision,
    PresenceSummary Summary,
    string DecisionSource,
    StoredAttestation? Attestation)
{
    /// <summary>The report both runtimes give: the policy's answer now over the deciding events.</summary>
    public static SessionReport Build(
        BookingSnapshot booking, IReadOnlyList<PresenceEvent> claims, IReadOnlyList<PresenceEvent> deciding, DateTimeOffset now,
        PolicyParameters policy, MetricsSource source, StoredAttestation? attestation) => new(
        booking,
        new PresenceLog(deciding),
        deciding,
        new PresenceLog(claims),
        now.ToUnixTimeMilliseconds(),
        OutcomePolicy.Decide(booking, deciding, now.ToUnixTimeSeconds(), policy),
        OutcomePolicy.Summarize(booking, deciding, now.ToUnixTimeSeconds(), policy),
        source == MetricsSource.Observed ? "observed" : "claimed",
        attestation);
}

public sealed record SessionResult<T>(SessionRefusal Refusal, T? Value);

public static class SessionResult
{
    public static SessionResult<T> Refused<T>(SessionRefusal refusal) => new(refusal, default);

    public static SessionResult<T> Ok<T>(T value) => new(SessionRefusal.None, value);
}

/// <summary>An attestation request from the service endpoint; <c>ForceOutcome</c> only when allowed.</summary>
public sealed record AttestCommand(Outcome? ForceOutcome, string Actor);

/// <summary>The attestation as it stands, or (for a booking another party settled) what the chain says.</summary>
public sealed record AttestationView(Outcome Outcome, Hash32? TxHash, string Status, long? NotBeforeUnix)
{
    /// <summary>Why it is still pending, or why a force was refused: a classified reason, never a node's own text.</summary>
    public string? Reason { get; init; }
}

/// <summary>The one port every per-booking operation goes through (architecture.md).</summary>
public interface IBookingSessions
{
    /// <summary>Checks the join rules, records a join claim (persisted) and returns a token.</summary>
    Task<SessionResult<JoinGrant>> JoinAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>A fresh token for the same channel and uid, under the same rules; records nothing.</summary>
    Task<SessionResult<JoinGrant>> RenewAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>Records a leave claim; the value is how long the caller's current visit lasted.</summary>
    Task<SessionResult<long?>> LeaveAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>The session so far, for its host or guest only.</summary>
    Task<SessionResult<SessionReport>> ReportAsync(BookingId id, Address wallet, CancellationToken ct);

    /// <summary>Decides now (or takes the forced outcome) and attests; a stored result is returned as it is.</summary>
    Task<SessionResult<AttestationView>> AttestAsync(BookingId id, AttestCommand command, CancellationToken ct);

    /// <summary>Schedules wake-ups for a booking even if nobody ever joins.</summary>
    Task TrackAsync(BookingId id, CancellationToken ct);
}

/// <summary>
/// Standalone mode: the booking's operations run one at a time in-process (a lock per booking)
/// and every change is in SQLite before the call returns.
/// </summary>
public sealed class StandaloneBookingSessions(
    IBookingDirectory bookings,
    IPresenceStore presence,
    JoinGrants grants,
    BookingSettlement settlement,
    SqliteSettlementStore schedule,
    TimeProvider time,
    ILogger<StandaloneBookingSessions> logger) : IBookingSessions
{
    private readonly KeyedLock<BookingId> _locks = new();

    public async Task TrackAsync(BookingId id, CancellationToken ct)
    {
        using (await _locks.AcquireAsync(id, ct))
        {
            schedule.Track(id, time.GetUtcNow().ToUnixTimeSeconds());
        }
    }

    /// <summary>One turn of the booking's settlement (the standalone counterpart of an actor reminder).</summary>
    public async Task<SettlementStep> EvaluateAsync(BookingId id, CancellationToken ct)
    {
        using (await _locks.AcquireAsync(id, ct))
        {
            return await settlement.EvaluateAsync(id, ct);
        }
    }

    public async Task<SessionResult<AttestationView>> AttestAsync(BookingId id, AttestCommand command, CancellationToken ct)
    {
        var booking = await bookings.GetAsync(id, ct);
        if (booking is null)
        {
            return SessionResult.Refused<AttestationView>(SessionRefusal.NotFound);
        }
        using (await _locks.AcquireAsync(id, ct))
        {
            schedule.Track(id, time.GetUtcNow().ToUnixTimeSeconds());
            if (command.ForceOutcome is { } forced)
            {
                var force = await settlement.ForceAsync(booking, forced, command.Actor, ct);
                return force.Refusal is { } refusal
                    ? new SessionResult<AttestationView>(SessionRefusal.ForceRefused, new AttestationView(forced, null, "refused", null) { Reason = refusal })
                    : View(force.Attestation!);
            }
            var step = await settlement.EvaluateAsync(id, ct);
            return step switch
            {
                { Attestation: { } stored } => View(stored),
                { Decision: Decision.Wait wait } => new SessionResult<AttestationView>(SessionRefusal.NotDue, new AttestationView(Outcome.None, null, "waiting", wait.UntilUnixSeconds)),
                { Decision: Decision.Done } => await OnChainViewAsync(id, ct),
                _ => SessionResult.Refused<AttestationView>(SessionRefusal.NotActive),
            };
        }
    }

    private async Task<SessionResult<AttestationView>> OnChainViewAsync(BookingId id, CancellationToken ct)
    {
        var booking = await bookings.GetAsync(id, ct);
        return booking?.Booking is { Status: BookingStatus.Attested or BookingStatus.Disputed or BookingStatus.Resolved or BookingStatus.Finalized } settled
            ? SessionResult.Ok(new AttestationView(settled.OracleOutcome, null, "settled", null))
            : SessionResult.Refused<AttestationView>(SessionRefusal.NotActive);
    }

    private static SessionResult<AttestationView> View(StoredAttestation stored) => stored.Status switch
    {
        AttestationStatus.WindowMissed => new SessionResult<AttestationView>(SessionRefusal.WindowMissed, new AttestationView(stored.Outcome, null, ApiNames.Of(stored.Status), null)),
        _ => SessionResult.Ok(new AttestationView(stored.Outcome, stored.TxHash, ApiNames.Of(stored.Status), null)
        {
            Reason = stored.Status == AttestationStatus.Pending ? SubmissionReasons.Public(stored.Detail) : null,
        }),
    };

    public Task<SessionResult<JoinGrant>> JoinAsync(BookingId id, Address wallet, CancellationToken ct) => GrantAsync(id, wallet, record: true, ct);

    /// <summary>
    /// The booking's shared turn for recording a claim, when claims decide. When only what Agora
    /// observed decides (webhooks configured), a claim cannot change a decision, so it does not wait
    /// for one: deciding a booking with many observed events would otherwise hold up its joins.
    /// </summary>
    private async Task<IDisposable?> ClaimTurnAsync(BookingId id, CancellationToken ct) =>
        settlement.SourceOfDecisions == MetricsSource.Claimed ? await _locks.AcquireSharedAsync(id, ct) : null;

    public Task<SessionResult<JoinGrant>> RenewAsync(BookingId id, Address wallet, CancellationToken ct) => GrantAsync(id, wallet, record: false, ct);

    private async Task<SessionResult<JoinGrant>> GrantAsync(BookingId id, Address wallet, bool record, CancellationToken ct)
    {
        var result = await grants.GrantAsync(id, wallet, ct);
        if (record && result.Value is { } grant)
        {
            // Shared: joins of one booking are recorded together (one group commit), never while its
            // settlement decides on claims; the time is read inside the turn, so a decision either sees
            // a claim or the claim is later than the decision.
            using (await ClaimTurnAsync(id, ct))
            {
                var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
                await presence.AppendAsync(id, wallet, new PresenceEvent(grant.Party, PresenceKind.Join, nowMs, PresenceSource.Claimed), nowMs, ct);
            }
            logger.LogInformation("Join {BookingId} {Party} uid {Uid}", id, grant.Party, grant.Uid);
        }
        return result;
    }

    public async Task<SessionResult<long?>> LeaveAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var (refusal, booking, party) = await grants.ParticipantAsync(id, wallet, ct);
        if (booking is null)
        {
            return SessionResult.Refused<long?>(refusal);
        }
        using (await ClaimTurnAsync(id, ct))
        {
            var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            var log = new PresenceLog(await presence.ListAsync(id, ct));
            var duration = log.IsIn(party) ? nowMs - log.IntervalsOf(party)[^1].FromMs : 0;
            await presence.AppendAsync(id, wallet, new PresenceEvent(party, PresenceKind.Leave, nowMs, PresenceSource.Claimed), nowMs, ct);
            logger.LogInformation("Leave {BookingId} {Party} after {DurationMs} ms", id, party, duration);
            return SessionResult.Ok<long?>(Math.Max(0, duration));
        }
    }

    public async Task<SessionResult<SessionReport>> ReportAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var (refusal, booking, party) = await grants.ParticipantAsync(id, wallet, ct);
        if (booking is null)
        {
            return SessionResult.Refused<SessionReport>(refusal);
        }
        return SessionResult.Ok(SessionReport.Build(
            booking, await presence.ListAsync(id, ct), await settlement.EventsAsync(booking, ct), time.GetUtcNow(), settlement.Policy, settlement.SourceOfDecisions, schedule.GetAttestation(id)));
    }
}
