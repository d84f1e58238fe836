using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;
using SessionVoice.Api.Sessions;
using SessionVoice.Api.Apis;

namespace SessionVoice.Api.Standalone;

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
