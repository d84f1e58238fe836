using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Sessions;

/// <summary>
/// The join rules and the token: the same in both runtimes; recording the join is theirs. Bookings are looked
/// up in the directory's request lane: a caller's made-up ids must not turn into node calls.
/// </summary>
public sealed class JoinGrants(IBookingDirectory bookings, RtcTokenIssuer tokens, ChainInfo chain, TimeProvider time)
{
    /// <summary>The booking and the caller's part in it; a null booking comes with the refusal (not found, not a participant).</summary>
    public async Task<(SessionRefusal Refusal, BookingSnapshot? Booking, Party Party)> ParticipantAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var booking = await bookings.Requests.GetAsync(id, ct);
        if (booking is null)
        {
            return (SessionRefusal.NotFound, null, default);
        }
        return booking.PartyOf(wallet) is { } party ? (SessionRefusal.None, booking, party) : (SessionRefusal.NotParticipant, null, default);
    }

    public async Task<SessionResult<JoinGrant>> GrantAsync(BookingId id, Address wallet, CancellationToken ct)
    {
        var booking = await bookings.Requests.GetAsync(id, ct);
        if (booking is null)
        {
            return SessionResult.Refused<JoinGrant>(SessionRefusal.NotFound);
        }
        var (refusal, party) = JoinPolicy.Check(booking, wallet, time.GetUtcNow().ToUnixTimeSeconds());
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
        return SessionResult.Ok(new JoinGrant(channel, uid, party!.Value, token));
    }
}
