using System.Security.Claims;
using System.Text.Json.Serialization;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Apis;

public sealed record JoinResponse(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("agora_token")] string AgoraToken,
    [property: JsonPropertyName("user_uid")] uint UserUid,
    [property: JsonPropertyName("expires_at")] long ExpiresAt,
    [property: JsonPropertyName("role")] string Role);

public sealed record LeaveResponse([property: JsonPropertyName("ok")] bool Ok, [property: JsonPropertyName("duration_ms")] long DurationMs);

public sealed record IntervalView([property: JsonPropertyName("from")] long From, [property: JsonPropertyName("to")] long? To);

/// <summary>Compat: the first five fields are the seed's; times are unix milliseconds or null.</summary>
public sealed record StatsResponse(
    [property: JsonPropertyName("hostJoinedAt")] long? HostJoinedAt,
    [property: JsonPropertyName("hostLeftAt")] long? HostLeftAt,
    [property: JsonPropertyName("guestJoinedAt")] long? GuestJoinedAt,
    [property: JsonPropertyName("guestLeftAt")] long? GuestLeftAt,
    [property: JsonPropertyName("overlapSeconds")] long OverlapSeconds,
    [property: JsonPropertyName("bookingId")] string BookingId,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("guest")] string Guest,
    [property: JsonPropertyName("startTime")] long StartTime,
    [property: JsonPropertyName("endTime")] long EndTime,
    [property: JsonPropertyName("bookingStatus")] string BookingStatus,
    [property: JsonPropertyName("presenceSource")] string PresenceSource,
    [property: JsonPropertyName("hostIntervals")] IReadOnlyList<IntervalView> HostIntervals,
    [property: JsonPropertyName("guestIntervals")] IReadOnlyList<IntervalView> GuestIntervals);

/// <summary>Joining a booking's channel, renewing its token, leaving, and the session's figures.</summary>
public static class SessionApi
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/session").RequireAuthorization().WithTags("Session");
        group.MapPost("/join", JoinAsync).WithSummary("Enter the booking's Agora channel");
        group.MapPost("/{id}/leave", LeaveAsync).WithSummary("Record that the caller left");
        group.MapPost("/{id}/token", RenewAsync).WithSummary("A fresh token for the same channel and uid");
        group.MapGet("/{id}/stats", StatsAsync).WithSummary("Presence and overlap so far (host or guest only)");
        return app;
    }

    public static async Task<IResult> JoinAsync(HttpRequest request, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(request, ct);
        if (body is null)
        {
            return error!;
        }
        var text = body.String("booking_id", out var fieldError);
        if (text is null)
        {
            return ApiError.BadRequest(fieldError!);
        }
        if (!BookingId.TryParse(text, out var id))
        {
            return ApiError.BadRequest("booking_id must be a decimal uint256");
        }
        if (JwtTokens.WalletOf(user) is not { } wallet)
        {
            return ApiError.Unauthorized("unauthorized");
        }
        return ToGrantResult(await sessions.JoinAsync(id, wallet, ct));
    }

    public static async Task<IResult> RenewAsync(string id, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        if (!TryCaller(id, user, out var bookingId, out var wallet, out var error))
        {
            return error!;
        }
        return ToGrantResult(await sessions.RenewAsync(bookingId, wallet, ct));
    }

    public static async Task<IResult> LeaveAsync(string id, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        if (!TryCaller(id, user, out var bookingId, out var wallet, out var error))
        {
            return error!;
        }
        var result = await sessions.LeaveAsync(bookingId, wallet, ct);
        return result.Refusal == SessionRefusal.None ? TypedResults.Ok(new LeaveResponse(true, result.Value ?? 0)) : Refused(result.Refusal);
    }

    public static async Task<IResult> StatsAsync(string id, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        if (!TryCaller(id, user, out var bookingId, out var wallet, out var error))
        {
            return error!;
        }
        var result = await sessions.ReportAsync(bookingId, wallet, ct);
        if (result.Value is not { } report)
        {
            return Refused(result.Refusal);
        }
        var log = report.Presence;
        var booking = report.Booking;
        // Presence counts inside the session only: overlap is clipped to [start, min(now, end)].
        var overlapMs = new PresenceLog(Clip(report.Events, booking.Slot.StartTime * 1000, booking.Slot.EndTime * 1000)).OverlapMs(Math.Min(report.NowMs, booking.Slot.EndTime * 1000));
        return TypedResults.Ok(new StatsResponse(
            log.FirstJoinMs(Party.Host),
            log.LastLeaveMs(Party.Host),
            log.FirstJoinMs(Party.Guest),
            log.LastLeaveMs(Party.Guest),
            overlapMs / 1000,
            booking.Id.ToString(),
            booking.Host.ToString(),
            booking.Guest.ToString(),
            booking.Slot.StartTime,
            booking.Slot.EndTime,
            booking.Booking.Status.ToString(),
            "claimed",
            [.. log.IntervalsOf(Party.Host).Select(i => new IntervalView(i.FromMs, i.ToMs))],
            [.. log.IntervalsOf(Party.Guest).Select(i => new IntervalView(i.FromMs, i.ToMs))]));
    }

    private static IEnumerable<PresenceEvent> Clip(IEnumerable<PresenceEvent> events, long fromMs, long toMs) =>
        events.Select(e => e with { AtMs = Math.Clamp(e.AtMs, fromMs, toMs) });

    private static bool TryCaller(string id, ClaimsPrincipal user, out BookingId bookingId, out Address wallet, out IResult? error)
    {
        wallet = default;
        error = null;
        if (!BookingId.TryParse(id, out bookingId))
        {
            error = ApiError.BadRequest("booking id must be a decimal uint256");
            return false;
        }
        if (JwtTokens.WalletOf(user) is not { } caller)
        {
            error = ApiError.Unauthorized("unauthorized");
            return false;
        }
        wallet = caller;
        return true;
    }

    private static IResult ToGrantResult(SessionResult<JoinGrant> result)
    {
        if (result.Value is not { } grant)
        {
            return Refused(result.Refusal);
        }
        return TypedResults.Ok(new JoinResponse(
            grant.Channel.Name, grant.Token.Token, grant.Uid, grant.Token.ExpiresAt.ToUnixTimeSeconds(), grant.Party == Party.Host ? "host" : "guest"));
    }

    private static IResult Refused(SessionRefusal refusal) => refusal switch
    {
        SessionRefusal.NotFound => ApiError.NotFound("booking not found"),
        SessionRefusal.NotActive => ApiError.BadRequest("booking not active"),
        SessionRefusal.NotParticipant => ApiError.Forbidden("not a participant"),
        SessionRefusal.TooEarly => ApiError.BadRequest("too early to join"),
        SessionRefusal.Ended => ApiError.BadRequest("session has ended"),
        SessionRefusal.ChannelUnavailable => ApiError.BadRequest("booking id too long for an Agora channel name"),
        _ => ApiError.BadRequest("request refused"),
    };
}
