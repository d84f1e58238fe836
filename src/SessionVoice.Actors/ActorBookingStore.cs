using Dapr.Actors.Runtime;
using SessionVoice.Actors.Interfaces;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Actors;

/// <summary>
/// Dapr <see cref="IBookingStore"/>: one booking's state in its actor's state manager. The actor's
/// turn is the lock; every change is saved before the call that made it returns (not only at the
/// end of the turn), so a transaction is never sent on a decision that was not stored.
/// </summary>
/// <param name="noticeRetention">
/// How long a webhook's notice marker is kept (the state store's TTL, WEBHOOK_NOTICE_RETENTION_HOURS); null: forever.
/// The (uid, clientSeq) marker and the events are kept, so a resend after the marker expired is still not stored twice.
/// </param>
public sealed class ActorBookingStore(IActorStateManager state, BookingId bookingId, TimeSpan? noticeRetention = null) : IBookingStore
{
    public const string ClaimsKey = "Claims";
    public const string ObservedKey = "Observed";
    public const string AttestationKey = "Attestation";
    public const string DueKey = "DueAt";
    public const string DecisionKey = "LastDecision";
    public const string WakeNotBeforeKey = "WakeNotBefore";
    public const string FailuresKey = "Failures";
    public const string AuditKey = "Audit";

    private void EnsureSameBooking(BookingId id)
    {
        if (id != bookingId)
        {
            throw new InvalidOperationException($"actor for booking {bookingId} asked about booking {id}");
        }
    }

    public async Task<IReadOnlyList<PresenceDto>> ClaimDtosAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<List<PresenceDto>>(ClaimsKey, ct)) is { HasValue: true } claims ? claims.Value : [];

    /// <summary>Observed events per state key: an ingest rewrites one page, not the booking's whole history.</summary>
    public const int ObservedPageSize = 256;

    private const string ObservedCountKey = "Observed:count";

    private static string ObservedPageKey(int page) => $"Observed:page:{page}";

    private static string NoticeKey(string noticeId) => $"Observed:notice:{noticeId}";

    private static string SequenceKey(uint uid, long clientSeq) => $"Observed:seq:{uid}:{clientSeq}";

    /// <summary>Every observed event, page by page in arrival order (and those stored in one list before paging).</summary>
    public async Task<IReadOnlyList<ObservedEvent>> ObservedEventsAsync(CancellationToken ct)
    {
        var all = (await state.TryGetStateAsync<List<ObservedEvent>>(ObservedKey, ct)) is { HasValue: true } legacy ? new List<ObservedEvent>(legacy.Value) : [];
        var count = await ObservedCountAsync(ct);
        for (var page = 0; page * ObservedPageSize < count; page++)
        {
            if ((await state.TryGetStateAsync<List<ObservedEvent>>(ObservedPageKey(page), ct)) is { HasValue: true } events)
            {
                all.AddRange(events.Value);
            }
        }
        return all;
    }

    private async Task<int> ObservedCountAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<int>(ObservedCountKey, ct)) is { HasValue: true } n ? n.Value : 0;

    /// <summary>
    /// Appends the claim unless one with its <see cref="PresenceDto.ClaimId"/> is stored (a retried call); false then.
    /// A claim has a handful of siblings at most (joins and leaves of two parties), so the list is the index.
    /// </summary>
    public async Task<bool> TryAppendClaimAsync(PresenceDto claim, CancellationToken ct)
    {
        var claims = await ClaimDtosAsync(ct);
        if (claim.ClaimId is { } id && claims.Any(c => string.Equals(c.ClaimId, id, StringComparison.Ordinal)))
        {
            return false;
        }
        await state.SetStateAsync(ClaimsKey, new List<PresenceDto>([.. claims, claim]), ct);
        await state.SaveStateAsync(ct);
        return true;
    }

    /// <summary>
    /// De-duplicated by noticeId and by (uid, clientSeq), as the webhook store does, through one marker key each:
    /// the cost of an ingest (two marker reads, one page, the count and two markers written) does not grow with
    /// the number of events the booking already has. Written in one save, so a crash leaves all or nothing.
    /// </summary>
    public async Task<bool> TryAppendObservedAsync(ObservedEvent observed, CancellationToken ct)
    {
        await MigrateObservedListAsync(ct);
        if (await state.ContainsStateAsync(NoticeKey(observed.NoticeId), ct) || await state.ContainsStateAsync(SequenceKey(observed.Uid, observed.ClientSeq), ct))
        {
            return false;
        }
        var count = await ObservedCountAsync(ct);
        var page = count / ObservedPageSize;
        var events = count % ObservedPageSize == 0
            ? []
            : (await state.TryGetStateAsync<List<ObservedEvent>>(ObservedPageKey(page), ct)) is { HasValue: true } current ? current.Value : [];
        await state.SetStateAsync(ObservedPageKey(page), new List<ObservedEvent>([.. events, observed]), ct);
        await state.SetStateAsync(ObservedCountKey, count + 1, ct);
        await SetNoticeAsync(observed.NoticeId, ct);
        await state.SetStateAsync(SequenceKey(observed.Uid, observed.ClientSeq), true, ct);
        await state.SaveStateAsync(ct);
        return true;
    }

    private Task SetNoticeAsync(string noticeId, CancellationToken ct) => noticeRetention is { } ttl
        ? state.SetStateAsync(NoticeKey(noticeId), true, ttl, ct)
        : state.SetStateAsync(NoticeKey(noticeId), true, ct);

    /// <summary>Events stored in one list (before paging) move into pages and markers once, on the next ingest.</summary>
    private async Task MigrateObservedListAsync(CancellationToken ct)
    {
        if ((await state.TryGetStateAsync<List<ObservedEvent>>(ObservedKey, ct)) is not { HasValue: true } legacy)
        {
            return;
        }
        var events = legacy.Value;
        for (var page = 0; page * ObservedPageSize < events.Count; page++)
        {
            await state.SetStateAsync(ObservedPageKey(page), events.Skip(page * ObservedPageSize).Take(ObservedPageSize).ToList(), ct);
        }
        foreach (var e in events)
        {
            await SetNoticeAsync(e.NoticeId, ct);
            await state.SetStateAsync(SequenceKey(e.Uid, e.ClientSeq), true, ct);
        }
        await state.SetStateAsync(ObservedCountKey, events.Count, ct);
        await state.RemoveStateAsync(ObservedKey, ct);
        await state.SaveStateAsync(ct);
    }

    public async Task<string?> LastDecisionAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<string>(DecisionKey, ct)) is { HasValue: true } d ? d.Value : null;

    public async Task<IReadOnlyList<PresenceEvent>> ClaimsAsync(BookingId id, CancellationToken ct)
    {
        EnsureSameBooking(id);
        return [.. (await ClaimDtosAsync(ct)).Select(c => c.ToEvent())];
    }

    public async Task<IReadOnlyList<ObservedEvent>> ObservedAsync(BookingId id, CancellationToken ct)
    {
        EnsureSameBooking(id);
        return await ObservedEventsAsync(ct);
    }

    public async Task<StoredAttestation?> GetAttestationAsync(BookingId id, CancellationToken ct)
    {
        EnsureSameBooking(id);
        return (await state.TryGetStateAsync<AttestationDto>(AttestationKey, ct)) is { HasValue: true } a ? a.Value.ToStored(id) : null;
    }

    public async Task<bool> TryRecordDecisionAsync(StoredAttestation attestation, CancellationToken ct)
    {
        EnsureSameBooking(attestation.BookingId);
        if (await state.ContainsStateAsync(AttestationKey, ct))
        {
            return false;
        }
        await state.SetStateAsync(AttestationKey, attestation.ToDto(), ct);
        await state.SaveStateAsync(ct);
        return true;
    }

    public async Task ReplaceDecisionAsync(StoredAttestation attestation, CancellationToken ct)
    {
        EnsureSameBooking(attestation.BookingId);
        await state.SetStateAsync(AttestationKey, attestation.ToDto(), ct);
        await state.SaveStateAsync(ct);
    }

    public async Task UpdateAttestationAsync(BookingId id, AttestationStatus status, Hash32? txHash, string? detail, long nowUnix, CancellationToken ct)
    {
        if (await GetAttestationAsync(id, ct) is not { } current)
        {
            return;
        }
        var next = current with { Status = status, TxHash = txHash ?? current.TxHash, Detail = detail, UpdatedAtUnix = nowUnix };
        await state.SetStateAsync(AttestationKey, next.ToDto(), ct);
        await state.SaveStateAsync(ct);
    }

    public async Task ScheduleAsync(BookingId id, long? dueAtUnix, string decision, long nowUnix, CancellationToken ct)
    {
        EnsureSameBooking(id);
        if (dueAtUnix is { } due)
        {
            await state.SetStateAsync(DueKey, due, ct);
        }
        else
        {
            await state.TryRemoveStateAsync(DueKey, ct);
        }
        await state.SetStateAsync(DecisionKey, decision, ct);
        await state.SaveStateAsync(ct);
    }

    /// <summary>The earliest second presence may wake the booking (<see cref="Core.Sessions.Settlement.PresenceWakes"/>); null: any time.</summary>
    public async Task<long?> WakeNotBeforeAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<long>(WakeNotBeforeKey, ct)) is { HasValue: true } at ? at.Value : null;

    public async Task SetWakeNotBeforeAsync(long unixSeconds, CancellationToken ct)
    {
        await state.SetStateAsync(WakeNotBeforeKey, unixSeconds, ct);
        await state.SaveStateAsync(ct);
    }

    /// <summary>The booking's audit trail in its own state (forced outcomes are rare: one list is enough).</summary>
    public async Task AuditAsync(BookingId id, string actor, string action, string detail, long nowUnix, CancellationToken ct)
    {
        EnsureSameBooking(id);
        await state.SetStateAsync(AuditKey, new List<AuditDto>([.. await AuditDtosAsync(ct), new AuditDto(nowUnix, actor, action, detail)]), ct);
        await state.SaveStateAsync(ct);
    }

    public async Task<IReadOnlyList<AuditDto>> AuditDtosAsync(CancellationToken ct) =>
        (await state.TryGetStateAsync<List<AuditDto>>(AuditKey, ct)) is { HasValue: true } audit ? audit.Value : [];

    /// <summary>One more failed decision in a row; the count after it.</summary>
    public async Task<int> CountFailureAsync(CancellationToken ct)
    {
        var failures = ((await state.TryGetStateAsync<int>(FailuresKey, ct)) is { HasValue: true } n ? n.Value : 0) + 1;
        await state.SetStateAsync(FailuresKey, failures, ct);
        await state.SaveStateAsync(ct);
        return failures;
    }

    /// <summary>A decision went through: the count starts again (written only when there was one).</summary>
    public async Task ClearFailuresAsync(CancellationToken ct)
    {
        if (await state.TryRemoveStateAsync(FailuresKey, ct))
        {
            await state.SaveStateAsync(ct);
        }
    }

    public async Task<long?> DueAtAsync(BookingId id, CancellationToken ct)
    {
        EnsureSameBooking(id);
        return (await state.TryGetStateAsync<long>(DueKey, ct)) is { HasValue: true } due ? due.Value : null;
    }
}
