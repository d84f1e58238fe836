using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Telemetry;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Apis;

/// <summary>Compat: the booking to join, a decimal uint256 as a string.</summary>
public sealed record JoinRequest([property: JsonPropertyName("booking_id")] string BookingId);

/// <summary>A <see cref="JoinRequest"/> as checked.</summary>
public sealed record JoinBooking(BookingId BookingId) : IJsonRequest<JoinBooking>
{
    public static JoinBooking? Read(JsonBody body, out string error)
    {
        if (body.String("booking_id", out error) is not { } text)
        {
            return null;
        }
        if (!Core.Escrow.BookingId.TryParse(text, out var id))
        {
            error = "booking_id must be a decimal uint256";
            return null;
        }
        return new JoinBooking(id);
    }

    public static ValueTask<JoinBooking?> BindAsync(HttpContext context) => RequestBodies.Bound<JoinBooking>(context);
}

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
    [property: JsonPropertyName("guestIntervals")] IReadOnlyList<IntervalView> GuestIntervals,
    [property: JsonPropertyName("claims")] ClaimsView Claims,
    [property: JsonPropertyName("decision")] DecisionView Decision,
    [property: JsonPropertyName("decidingPresence")] PresenceView DecidingPresence,
    [property: JsonPropertyName("attestation")] AttestationStatusView? Attestation,
    [property: JsonPropertyName("metrics")] MetricsView? Metrics);

/// <summary>The clients' own join/leave calls, always recorded; they decide only without webhooks.</summary>
public sealed record ClaimsView(
    [property: JsonPropertyName("hostIntervals")] IReadOnlyList<IntervalView> HostIntervals,
    [property: JsonPropertyName("guestIntervals")] IReadOnlyList<IntervalView> GuestIntervals);

/// <summary>The recorded decision, or before one is recorded the policy's answer now: wait (until), attest, done, or window-missed.</summary>
public sealed record DecisionView(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("outcome")] string? Outcome,
    [property: JsonPropertyName("until")] long? Until);

/// <summary>The clipped figures the decision is based on (the presence source the decision uses).</summary>
public sealed record PresenceView(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("hostPresentSeconds")] long HostPresentSeconds,
    [property: JsonPropertyName("guestPresentSeconds")] long GuestPresentSeconds,
    [property: JsonPropertyName("overlapSeconds")] long OverlapSeconds,
    [property: JsonPropertyName("hostSeen")] bool HostSeen,
    [property: JsonPropertyName("guestSeen")] bool GuestSeen);

public sealed record AttestationStatusView(
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("tx_hash")] string? TxHash,
    [property: JsonPropertyName("detail")] string? Detail);

/// <summary>The committed preimage (hex, as abi-encoded) and its keccak256: the metricsHash on chain.</summary>
public sealed record MetricsView(
    [property: JsonPropertyName("preimage")] string Preimage,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("fields")] IReadOnlyDictionary<string, string> Fields);

/// <summary>Joining a booking's channel, renewing its token, leaving, and the session's figures.</summary>
public static class SessionApi
{
    /// <summary>Joins, renewals and stats per wallet (SESSION_RATE_LIMIT_PER_MINUTE); leaving is never refused.</summary>
    public const string RateLimitPolicy = "session";

    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/session").RequireSessionToken().WithTags("Session").Secured(ApiDocs.Bearer);
        group.MapPost("/join", JoinAsync).RequireRateLimiting(RateLimitPolicy).WithSummary("Enter the booking's Agora channel")
            .Request<JoinRequest, JoinBooking>().Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status429TooManyRequests, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);
        group.MapPost("/{id}/leave", LeaveAsync).WithSummary("Record that the caller left")
            .Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);
        group.MapPost("/{id}/token", RenewAsync).RequireRateLimiting(RateLimitPolicy).WithSummary("A fresh token for the same channel and uid")
            .Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status429TooManyRequests);
        group.MapGet("/{id}/stats", StatsAsync).RequireRateLimiting(RateLimitPolicy).WithSummary("Presence and overlap so far (host or guest only)")
            .Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status429TooManyRequests);
        return app;
    }

    public static async Task<Results<Ok<JoinResponse>, JsonHttpResult<ApiError>>> JoinAsync(JoinBooking request, ClaimsPrincipal user, IBookingSessions sessions, SessionVoiceMetrics metrics, CancellationToken ct)
    {
        if (JwtTokens.WalletOf(user) is not { } wallet)
        {
            return ApiError.Unauthorized("unauthorized");
        }
        var result = await sessions.JoinAsync(request.BookingId, wallet, ct);
        metrics.Joins.Add(1, new KeyValuePair<string, object?>("result", result.Refusal == SessionRefusal.None ? "ok" : result.Refusal.ToString()));
        return ToGrantResult(result);
    }

    public static async Task<Results<Ok<JoinResponse>, JsonHttpResult<ApiError>>> RenewAsync(string id, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        if (Caller(id, user, out var bookingId, out var wallet) is { } error)
        {
            return error;
        }
        return ToGrantResult(await sessions.RenewAsync(bookingId, wallet, ct));
    }

    public static async Task<Results<Ok<LeaveResponse>, JsonHttpResult<ApiError>>> LeaveAsync(string id, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        if (Caller(id, user, out var bookingId, out var wallet) is { } error)
        {
            return error;
        }
        var result = await sessions.LeaveAsync(bookingId, wallet, ct);
        return result.Refusal == SessionRefusal.None ? TypedResults.Ok(new LeaveResponse(true, result.Value ?? 0)) : Refused(result.Refusal);
    }

    public static async Task<Results<Ok<StatsResponse>, JsonHttpResult<ApiError>>> StatsAsync(string id, ClaimsPrincipal user, IBookingSessions sessions, CancellationToken ct)
    {
        if (Caller(id, user, out var bookingId, out var wallet) is { } error)
        {
            return error;
        }
        var result = await sessions.ReportAsync(bookingId, wallet, ct);
        if (result.Value is not { } report)
        {
            return Refused(result.Refusal);
        }
        var log = report.Presence;
        var booking = report.Booking;
        // Presence counts inside the session only: the overlap within [start, min(now, end)).
        var overlapMs = log.OverlapMs(booking.Slot.StartTime * 1000, Math.Min(report.NowMs, booking.Slot.EndTime * 1000));
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
            ApiNames.Of(ConsistentStatus(booking.Booking.Status, report.Attestation)),
            report.DecisionSource,
            [.. log.IntervalsOf(Party.Host).Select(i => new IntervalView(i.FromMs, i.ToMs))],
            [.. log.IntervalsOf(Party.Guest).Select(i => new IntervalView(i.FromMs, i.ToMs))],
            new ClaimsView(
                [.. report.Claims.IntervalsOf(Party.Host).Select(i => new IntervalView(i.FromMs, i.ToMs))],
                [.. report.Claims.IntervalsOf(Party.Guest).Select(i => new IntervalView(i.FromMs, i.ToMs))]),
            ToView(report.Decision, report.Attestation),
            new PresenceView(
                report.DecisionSource,
                report.Summary.HostPresentMs / 1000,
                report.Summary.GuestPresentMs / 1000,
                report.Summary.OverlapMs / 1000,
                report.Summary.HostSeen,
                report.Summary.GuestSeen),
            report.Attestation is { } a ? new AttestationStatusView(OutcomeNames.ToApi(a.Outcome), ApiNames.Of(a.Status), a.TxHash?.ToString(), SubmissionReasons.Public(a.Detail)) : null,
            report.Attestation is { } m ? new MetricsView(Hex.Encode(m.Preimage), m.MetricsHash.ToString(), MetricsFields(m.Preimage)) : null));
    }

    /// <summary>
    /// The booking's status as the view shows it. The chain is read through a cache (a status at most
    /// <c>ChainBookingDirectory.BookingTtl</c> old), while our own receipt is newer: a successful attestation
    /// of ours means the chain says Attested, whatever the cache last saw.
    /// </summary>
    private static BookingStatus ConsistentStatus(BookingStatus cached, StoredAttestation? attestation) =>
        cached == BookingStatus.Booked && attestation is { Status: AttestationStatus.Mined or AttestationStatus.Final }
            ? BookingStatus.Attested
            : cached;

    /// <summary>
    /// The decision: once one is recorded, the recorded one (it never changes); before that, the policy's answer
    /// now. So the view never shows "attest" next to a booking already settled by our attestation.
    /// </summary>
    private static DecisionView ToView(Decision decision, StoredAttestation? attestation) => attestation switch
    {
        { Status: AttestationStatus.WindowMissed } missed => new DecisionView("window-missed", OutcomeNames.ToApi(missed.Outcome), null),
        { Status: AttestationStatus.Settled } => new DecisionView("done", null, null),
        { } recorded => new DecisionView("attest", OutcomeNames.ToApi(recorded.Outcome), null),
        null => decision switch
        {
            Decision.Wait w => new DecisionView("wait", null, w.UntilUnixSeconds),
            Decision.Attest a => new DecisionView("attest", OutcomeNames.ToApi(a.Outcome), null),
            Decision.Done d => new DecisionView("done", ApiNames.Of(d.OnChainStatus), null),
            Decision.WindowMissed m => new DecisionView("window-missed", OutcomeNames.ToApi(m.Outcome), null),
            _ => new DecisionView("unknown", null, null),
        },
    };

    /// <summary>The committed preimage's words by name; a stored preimage is always one of ours, so none is only a safeguard.</summary>
    private static IReadOnlyDictionary<string, string> MetricsFields(byte[] preimage) =>
        MetricsPreimage.TryDecode(preimage, out var decoded) ? decoded.Fields() : new Dictionary<string, string>();

    /// <summary>Null when the path's booking id parses and the token names a wallet; otherwise the refusal.</summary>
    private static JsonHttpResult<ApiError>? Caller(string id, ClaimsPrincipal user, out BookingId bookingId, out Address wallet)
    {
        wallet = default;
        if (!BookingId.TryParse(id, out bookingId))
        {
            return ApiError.BadRequest("booking id must be a decimal uint256");
        }
        if (JwtTokens.WalletOf(user) is not { } caller)
        {
            return ApiError.Unauthorized("unauthorized");
        }
        wallet = caller;
        return null;
    }

    private static Results<Ok<JoinResponse>, JsonHttpResult<ApiError>> ToGrantResult(SessionResult<JoinGrant> result)
    {
        if (result.Value is not { } grant)
        {
            return Refused(result.Refusal);
        }
        return TypedResults.Ok(new JoinResponse(
            grant.Channel.Name, grant.Token.Token, grant.Uid, grant.Token.ExpiresAt.ToUnixTimeSeconds(), grant.Party == Party.Host ? "host" : "guest"));
    }

    private static JsonHttpResult<ApiError> Refused(SessionRefusal refusal) => refusal switch
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
