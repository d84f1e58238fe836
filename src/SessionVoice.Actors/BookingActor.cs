using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors;

/// <summary>What every booking actor shares: the chain view, the policy and where attestations go.</summary>
public sealed record BookingActorServices(
    IBookingDirectory Bookings,
    ChainInfo Chain,
    SettlementOptions Options,
    SettlementCounters Counters,
    TimeProvider Time,
    ILoggerFactory LoggerFactory,
    Func<IAttestationSender?> Sender,
    IChainClock? ChainClock = null,
    TimeSpan? NoticeRetention = null);

/// <summary>
/// One actor per booking. It holds the booking's presence, decision and attestation, and keeps one
/// one-shot reminder at the time <see cref="OutcomePolicy"/> asks for — re-registered whenever the
/// answer moves, removed once the booking is settled. Reminders live in the Dapr Scheduler, so they
/// survive restarts and rebalancing.
/// </summary>
public sealed class BookingActor : Actor, IBookingActor, IRemindable
{
    public const string DecideReminder = "Decide";

    /// <summary>A period of −1 ms makes a reminder fire once (the SDK sends an empty period).</summary>
    public static readonly TimeSpan OneShot = TimeSpan.FromMilliseconds(-1);

    private readonly BookingActorServices _services;
    private readonly ILogger<BookingActor> _logger;

    public BookingActor(ActorHost host, BookingActorServices services, IActorStateManager? stateManager = null)
        : base(host)
    {
        _services = services;
        _logger = services.LoggerFactory.CreateLogger<BookingActor>();
        if (stateManager is not null)
        {
            StateManager = stateManager;
        }
    }

    private BookingId BookingId => BookingId.Parse(Id.GetId());

    private ActorBookingStore Store => new(StateManager, BookingId, _services.NoticeRetention);

    private BookingSettlement Settlement => new(
        _services.Bookings, Store, _services.Chain, _services.Options, _services.Counters, _services.Time,
        _services.LoggerFactory.CreateLogger<BookingSettlement>(), _services.Sender(), _services.ChainClock);

    public async Task<bool> RecordClaimAsync(PresenceDto claim)
    {
        // A retried call (resiliency retries, or daprd's timeout letting a retry in while the first turn runs) carries
        // the same claim id: stored once.
        if (!await Store.TryAppendClaimAsync(claim, CancellationToken.None))
        {
            return false;
        }
        await WakeAsync();
        return true;
    }

    public async Task<bool> RecordObservedAsync(ObservedEvent observed)
    {
        var stored = await Store.TryAppendObservedAsync(observed, CancellationToken.None);
        if (stored)
        {
            await WakeAsync();
        }
        return stored;
    }

    public async Task<BookingStateDto> GetStateAsync()
    {
        var store = Store;
        var attestation = await store.GetAttestationAsync(BookingId, CancellationToken.None);
        return new BookingStateDto(
            await store.ClaimDtosAsync(CancellationToken.None),
            await store.ObservedEventsAsync(CancellationToken.None),
            attestation?.ToDto(),
            await store.DueAtAsync(BookingId, CancellationToken.None),
            await store.LastDecisionAsync(CancellationToken.None));
    }

    /// <summary>
    /// Idempotent, and it heals: a booking not finished yet gets its reminder registered again at its stored time
    /// (or now, if that has passed), so a reminder lost in the Scheduler is re-armed by the next sweep or join.
    /// </summary>
    public async Task<TrackResultDto> TrackAsync()
    {
        var store = Store;
        var attestation = await store.GetAttestationAsync(BookingId, CancellationToken.None);
        var due = await store.DueAtAsync(BookingId, CancellationToken.None);
        if (attestation is null && due is null)
        {
            await WakeAsync();
        }
        else if (due is not null)
        {
            await SyncReminderAsync();
        }
        due = await store.DueAtAsync(BookingId, CancellationToken.None);
        var finished = due is null && (attestation is not null || await store.LastDecisionAsync(CancellationToken.None) is not null);
        return new TrackResultDto(finished, await WindowClosesAtAsync());
    }

    /// <summary>The last second the contract takes any outcome for this booking; null when the booking cannot be read now.</summary>
    private async Task<long?> WindowClosesAtAsync()
    {
        try
        {
            if (await _services.Bookings.GetAsync(BookingId, CancellationToken.None) is not { } booking)
            {
                return null;
            }
            var windows = AttestationWindows.For(booking.Slot);
            return Math.Max(windows.NoShowCloses, windows.CompletedCloses);
        }
        catch (RpcException)
        {
            return null;
        }
    }


    public async Task<AttestResultDto> AttestAsync(AttestRequestDto request)
    {
        var (forceOutcome, actor) = (request.ForceOutcome, request.Actor);
        var booking = await _services.Bookings.GetAsync(BookingId, CancellationToken.None);
        if (booking is null)
        {
            return new AttestResultDto(AttestRefusal.NotFound, null, 0, null);
        }
        StoredAttestation? stored;
        if (forceOutcome is { } forced)
        {
            var force = await Settlement.ForceAsync(booking, (Outcome)forced, actor ?? "unknown", CancellationToken.None);
            if (force.Refusal is { } refusal)
            {
                return new AttestResultDto(AttestRefusal.ForceRefused, null, 0, null, refusal);
            }
            stored = force.Attestation!;
        }
        else
        {
            var step = await Settlement.EvaluateAsync(BookingId, CancellationToken.None);
            stored = step.Attestation;
            if (stored is null)
            {
                await SyncReminderAsync();
                return step.Decision switch
                {
                    Decision.Wait wait => new AttestResultDto(AttestRefusal.NotDue, null, 0, wait.UntilUnixSeconds),
                    _ when booking.Booking.Status is BookingStatus.Attested or BookingStatus.Disputed or BookingStatus.Resolved or BookingStatus.Finalized =>
                        new AttestResultDto(null, null, (int)booking.Booking.OracleOutcome, null),
                    _ => new AttestResultDto(AttestRefusal.NotActive, null, 0, null),
                };
            }
        }
        await SyncReminderAsync();
        return new AttestResultDto(stored.Status == AttestationStatus.WindowMissed ? AttestRefusal.WindowMissed : null, stored.ToDto(), 0, null);
    }

    public Task ReceiveReminderAsync(string reminderName, byte[] state, TimeSpan dueTime, TimeSpan period) => reminderName switch
    {
        DecideReminder => OnDecideAsync(),
        _ => Task.CompletedTask,
    };

    /// <summary>
    /// A failing decision must not fail the reminder: daprd's Scheduler retries a failed reminder callback three
    /// times a second apart and then drops it for good, and the booking would never be decided. So a failure
    /// schedules the next try itself — at once, then after 1, 2, 4 and at most 5 seconds, counted in the actor's
    /// state — and the callback succeeds. A decision taken late is still taken as of the time it was due.
    /// </summary>
    private async Task OnDecideAsync()
    {
        SettlementStep step;
        try
        {
            step = await Settlement.EvaluateAsync(BookingId, CancellationToken.None);
        }
        catch (Exception e)
        {
            var failures = await Store.CountFailureAsync(CancellationToken.None);
            var retry = EvaluationRetry.DelaySeconds(failures);
            var now = _services.Time.GetUtcNow().ToUnixTimeSeconds();
            await Store.ScheduleAsync(BookingId, now + retry, $"evaluation failed ({failures}x); retrying", now, CancellationToken.None);
            await SyncReminderAsync();
            _logger.LogWarning("Deciding booking {BookingId} failed ({Reason}, {Failures} in a row); the reminder is set again in {Retry} s",
                BookingId, SubmissionReasons.Of(e) ?? e.GetType().Name, failures, retry);
            return;
        }
        await Store.ClearFailuresAsync(CancellationToken.None);
        var gap = PresenceWakes.GapSeconds(step.Deciding);
        var store = Store;
        // Written only when it matters: a costly booking, or one that was costly before.
        if (gap > 1 || await store.WakeNotBeforeAsync(CancellationToken.None) is not null)
        {
            await store.SetWakeNotBeforeAsync(_services.Time.GetUtcNow().ToUnixTimeSeconds() + gap, CancellationToken.None);
        }
        await SyncReminderAsync();
    }

    /// <summary>
    /// Presence changed: decide at once — or, for a booking whose decisions are costly, once its wake
    /// gap after the last decision has passed (<see cref="PresenceWakes"/>) — and never later than the
    /// wake-up already set. The decision itself sets the next reminder.
    /// </summary>
    private async Task WakeAsync()
    {
        var store = Store;
        var now = _services.Time.GetUtcNow().ToUnixTimeSeconds();
        var due = Math.Max(now, await store.WakeNotBeforeAsync(CancellationToken.None) ?? now);
        if (await store.DueAtAsync(BookingId, CancellationToken.None) is not { } scheduled || scheduled > due)
        {
            await store.ScheduleAsync(BookingId, due, "woken", now, CancellationToken.None);
        }
        await SyncReminderAsync();
    }

    /// <summary>One reminder, at the stored wake-up time; none once the booking is finished.</summary>
    private async Task SyncReminderAsync()
    {
        var due = await Store.DueAtAsync(BookingId, CancellationToken.None);
        if (due is null)
        {
            await UnregisterReminderAsync(DecideReminder);
            return;
        }
        var delay = TimeSpan.FromSeconds(Math.Max(0, due.Value - _services.Time.GetUtcNow().ToUnixTimeSeconds()));
        await RegisterReminderAsync(DecideReminder, [], delay, OneShot);
        _logger.LogDebug("Booking {BookingId}: next decision in {Delay}", BookingId, delay);
    }
}
