using Dapr.Actors;
using Dapr.Actors.Client;
using SessionVoice.Actors;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;
using SessionVoice.Api.Apis;

namespace SessionVoice.Api.Dapr;

/// <summary>
/// Dapr mode: every per-booking operation goes to the booking's actor (one turn at a time across all
/// replicas); the join rules and tokens are computed here, as in standalone mode.
/// </summary>
public sealed class DaprBookingSessions(
    IActorProxyFactory proxies,
    JoinGrants grants,
    SettlementOptions options,
    TimeProvider time,
    ILogger<DaprBookingSessions> logger) : IBookingSessions, IBookingTracker, IObservedSink
{
    public const string BookingActorType = nameof(BookingActor);

    /// <summary>Chosen here, once per claim: a call the sidecar retries carries the same id and is stored once.</summary>
    private static string NewClaimId() => Guid.NewGuid().ToString("N");

    private IBookingActor Actor(BookingId id) => proxies.CreateActorProxy<IBookingActor>(new ActorId(id.ToString()), BookingActorType);

    public async Task<SessionResult<JoinGrant>> JoinAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var result = await grants.GrantAsync(id, wallet, ct);
        if (result.Value is { } grant)
        {
            var claim = new PresenceEvent(grant.Party, PresenceKind.Join, time.GetUtcNow().ToUnixTimeMilliseconds(), PresenceSource.Claimed);
            await Actor(id).RecordClaimAsync(claim.ToDto(NewClaimId()));
            logger.LogInformation("Join {BookingId} {Party} uid {Uid}", id, grant.Party, grant.Uid);
        }
        return result;
    }

    public Task<SessionResult<JoinGrant>> RenewAsync(BookingId id, Address wallet, CancellationToken ct) => grants.GrantAsync(id, wallet, ct);

    public async Task<SessionResult<long?>> LeaveAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var (refusal, booking, party) = await grants.ParticipantAsync(id, wallet, ct);
        if (booking is null)
        {
            return SessionResult.Refused<long?>(refusal);
        }
        var actor = Actor(id);
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var log = new PresenceLog((await actor.GetStateAsync()).Claims.Select(c => c.ToEvent()));
        var duration = log.IsIn(party) ? nowMs - log.IntervalsOf(party)[^1].FromMs : 0;
        await actor.RecordClaimAsync(new PresenceEvent(party, PresenceKind.Leave, nowMs, PresenceSource.Claimed).ToDto(NewClaimId()));
        return SessionResult.Ok<long?>(Math.Max(0, duration));
    }

    public async Task<SessionResult<SessionReport>> ReportAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var (refusal, booking, party) = await grants.ParticipantAsync(id, wallet, ct);
        if (booking is null)
        {
            return SessionResult.Refused<SessionReport>(refusal);
        }
        var state = await Actor(id).GetStateAsync();
        var claims = state.Claims.Select(c => c.ToEvent()).ToList();
        var deciding = BookingSettlement.DecidingEvents(options.ObservedOnly, booking, claims, state.Observed);
        var source = options.ObservedOnly ? MetricsSource.Observed : MetricsSource.Claimed;
        return SessionResult.Ok(SessionReport.Build(booking, claims, deciding, time.GetUtcNow(), options.Policy, source, state.Attestation?.ToStored(id)));
    }

    public async Task<SessionResult<AttestationView>> AttestAsync(BookingId id, AttestCommand command, CancellationToken ct)
    {
        // A force is audited in the booking actor's state, accepted or refused (BookingSettlement.ForceAsync).
        var result = await Actor(id).AttestAsync(new AttestRequestDto(command.ForceOutcome is { } f ? (int)f : null, command.Actor));
        var view = result.Attestation is { } a
            ? new AttestationView((Outcome)a.Outcome, a.TxHash is null ? null : Hash32.Parse(a.TxHash), ApiNames.Of(a.Status), null) { Reason = a.Status == AttestationStatus.Pending ? SubmissionReasons.Public(a.Detail) : null }
            : new AttestationView((Outcome)result.OnChainOutcome, null, "settled", result.NotBeforeUnix);
        return result.Refusal switch
        {
            null => SessionResult.Ok(view),
            AttestRefusal.NotFound => SessionResult.Refused<AttestationView>(SessionRefusal.NotFound),
            AttestRefusal.NotDue => new SessionResult<AttestationView>(SessionRefusal.NotDue, view with { Status = "waiting" }),
            AttestRefusal.WindowMissed => new SessionResult<AttestationView>(SessionRefusal.WindowMissed, view),
            AttestRefusal.ForceRefused => new SessionResult<AttestationView>(SessionRefusal.ForceRefused, view with { Reason = result.Reason }),
            _ => SessionResult.Refused<AttestationView>(SessionRefusal.NotActive),
        };
    }

    public Task TrackAsync(BookingId id, CancellationToken ct) => Actor(id).TrackAsync();

    public Task WakeAsync(BookingId id, CancellationToken ct) => Actor(id).TrackAsync();

    public Task<bool> IngestAsync(BookingId id, ObservedEvent e, long receivedAtMs, CancellationToken ct) => Actor(id).RecordObservedAsync(e);
}
