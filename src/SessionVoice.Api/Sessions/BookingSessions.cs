using SessionVoice.Api.Escrow;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

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
}

/// <summary>Entry to a booking's channel: the channel, the caller's uid and a token.</summary>
public sealed record JoinGrant(AgoraChannel Channel, uint Uid, Party Party, IssuedRtcToken Token);

/// <summary>Who was in the channel, as the service knows it so far.</summary>
public sealed record SessionReport(BookingSnapshot Booking, PresenceLog Presence, IReadOnlyList<PresenceEvent> Events, long NowMs);

public sealed record SessionResult<T>(SessionRefusal Refusal, T? Value);

public static class SessionResult
{
    public static SessionResult<T> Refused<T>(SessionRefusal refusal) => new(refusal, default);

    public static SessionResult<T> Ok<T>(T value) => new(SessionRefusal.None, value);
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
}

/// <summary>
/// Standalone mode: the booking's operations run one at a time in-process (a lock per booking)
/// and every change is in SQLite before the call returns.
/// </summary>
public sealed class StandaloneBookingSessions(
    IBookingDirectory bookings,
    IPresenceStore presence,
    RtcTokenIssuer tokens,
    ChainInfo chain,
    TimeProvider time,
    ILogger<StandaloneBookingSessions> logger) : IBookingSessions
{
    private readonly KeyedLock<BookingId> _locks = new();

    public Task<SessionResult<JoinGrant>> JoinAsync(BookingId id, Address wallet, CancellationToken ct) => GrantAsync(id, wallet, record: true, ct);

    public Task<SessionResult<JoinGrant>> RenewAsync(BookingId id, Address wallet, CancellationToken ct) => GrantAsync(id, wallet, record: false, ct);

    private async Task<SessionResult<JoinGrant>> GrantAsync(BookingId id, Address wallet, bool record, CancellationToken ct)
    {
        var booking = await bookings.GetAsync(id, ct);
        if (booking is null)
        {
            return SessionResult.Refused<JoinGrant>(SessionRefusal.NotFound);
        }
        var now = time.GetUtcNow();
        var (refusal, party) = JoinPolicy.Check(booking, wallet, now.ToUnixTimeSeconds());
        if (refusal != JoinRefusal.None)
        {
            return SessionResult.Refused<JoinGrant>(refusal switch
            {
                JoinRefusal.NotActive => SessionRefusal.NotActive,
                JoinRefusal.NotParticipant => SessionRefusal.NotParticipant,
                JoinRefusal.TooEarly => SessionRefusal.TooEarly,
                _ => SessionRefusal.Ended,
            });
        }
        if (!AgoraChannel.TryForBooking(chain.ChainId, id, out var channel))
        {
            return SessionResult.Refused<JoinGrant>(SessionRefusal.ChannelUnavailable);
        }
        var (hostUid, guestUid) = AgoraUid.ForParticipants(booking.Host, booking.Guest);
        var uid = party == Party.Host ? hostUid : guestUid;
        var token = tokens.Issue(channel, uid, DateTimeOffset.FromUnixTimeSeconds(booking.Slot.EndTime));
        if (record)
        {
            using (await _locks.AcquireAsync(id, ct))
            {
                await presence.AppendAsync(id, wallet, new PresenceEvent(party!.Value, PresenceKind.Join, now.ToUnixTimeMilliseconds(), PresenceSource.Claimed), now.ToUnixTimeMilliseconds(), ct);
            }
            logger.LogInformation("Join {BookingId} {Party} uid {Uid}", id, party, uid);
        }
        return SessionResult.Ok<JoinGrant>(new JoinGrant(channel, uid, party!.Value, token));
    }

    public async Task<SessionResult<long?>> LeaveAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var booking = await bookings.GetAsync(id, ct);
        if (booking is null)
        {
            return SessionResult.Refused<long?>(SessionRefusal.NotFound);
        }
        if (booking.PartyOf(wallet) is not { } party)
        {
            return SessionResult.Refused<long?>(SessionRefusal.NotParticipant);
        }
        using (await _locks.AcquireAsync(id, ct))
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
        var booking = await bookings.GetAsync(id, ct);
        if (booking is null)
        {
            return SessionResult.Refused<SessionReport>(SessionRefusal.NotFound);
        }
        if (booking.PartyOf(wallet) is null)
        {
            return SessionResult.Refused<SessionReport>(SessionRefusal.NotParticipant);
        }
        var events = await presence.ListAsync(id, ct);
        return SessionResult.Ok<SessionReport>(new SessionReport(booking, new PresenceLog(events), events, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }
}
