using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using SessionVoice.Core.Sessions;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Telemetry;
using SessionVoice.Core.Agora.Ncs;
using SessionVoice.Core.Sessions.Settlement;
using SessionVoice.Api.Sessions;

namespace SessionVoice.Api.Apis;

public sealed record WebhookAck([property: System.Text.Json.Serialization.JsonPropertyName("ok")] bool Ok, [property: System.Text.Json.Serialization.JsonPropertyName("stored")] bool Stored);

/// <summary>
/// Agora NCS channel events: observed presence. Verified over the raw body, stored, answered 200 —
/// the answer never waits on the chain (Agora resends anything slower than 10 s or not 200).
/// </summary>
public static class WebhookApi
{
    /// <summary>Event times further than this before the slot's start, after its end or after now are not presence.</summary>
    public const long TsMarginSeconds = 3600;

    /// <summary>Agora waits 10 s for an answer: the booking lookup gets a part of that.</summary>
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapWebhookApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/agora", ReceiveAsync).WithTags("Webhooks").WithSummary("Agora NCS channel events (signed)")
            .Secured(ApiDocs.AgoraSignature).Secured(ApiDocs.AgoraSignatureSha1)
            .Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Ok<WebhookAck>, JsonHttpResult<ApiError>>> ReceiveAsync(
        HttpRequest request, ServiceSettings settings, ChainInfo chain, IBookingDirectory bookings, IObservedSink observed, TimeProvider time, SessionVoiceMetrics metrics, ILogger<ObservedEvent> logger, CancellationToken ct)
    {
        if (settings.WebhookSecret is not { } secret)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "webhooks not configured");
        }
        var (read, tooLarge) = await RequestBodies.ReadAsync(request, ct);
        if (tooLarge is not null)
        {
            return tooLarge;
        }
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        var verified = NcsSignature.Verify(secretBytes, read.Span, request.Headers[NcsSignature.V2Header].ToString(), NcsSignatureAlgorithm.HmacSha256)
            || (settings.WebhookAcceptSha1 && NcsSignature.Verify(secretBytes, read.Span, request.Headers[NcsSignature.V1Header].ToString(), NcsSignatureAlgorithm.HmacSha1));
        if (!verified)
        {
            Count(metrics, "bad_signature");
            return ApiError.Unauthorized("invalid signature");
        }
        var parsed = NcsNotice.Parse(read.Span);
        if (parsed is not NcsParseResult.Parsed { Notice: var notice })
        {
            // Never the parser's own words: a fixed message.
            return ApiError.BadRequest("malformed notice");
        }
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        // Not ours (another product, the Console's check, another app's or chain's channel): acknowledge only.
        if (notice.ProductId != 1 || notice.IsHealthCheck || notice.Payload is not { ChannelName: { } channel } payload)
        {
            return Ok(metrics, false);
        }
        if (!AgoraChannel.TryParseBooking(channel, out var chainId, out var bookingId) || chainId != chain.ChainId)
        {
            return Ok(metrics, false);
        }
        if (!NcsEventTypes.IsJoin(notice.EventType) && !NcsEventTypes.IsLeave(notice.EventType))
        {
            return Ok(metrics, false);
        }
        if (!notice.TryGetObservedEvent(out var e))
        {
            return ApiError.BadRequest("join and leave events need uid, clientSeq and ts");
        }
        // Only bookings that exist, and only times around their slot: nothing is kept or tracked for made-up
        // channels, and ts = 0 or 2^40-1 counts for nothing. The lookup is the cached request lane; when the node
        // cannot say, a 503 makes Agora send the event again later.
        BookingSnapshot? booking;
        try
        {
            booking = await bookings.Requests.GetAsync(bookingId, ct).WaitAsync(LookupTimeout, ct);
        }
        catch (Exception ex) when (ex is TimeoutException or Core.Ethereum.RpcException or HttpRequestException)
        {
            Count(metrics, "lookup_unavailable");
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "booking lookup unavailable");
        }
        if (booking is null)
        {
            return Ok(metrics, false);
        }
        if (e.TsSeconds < booking.Slot.StartTime - TsMarginSeconds || e.TsSeconds > booking.Slot.EndTime + TsMarginSeconds || e.TsSeconds > nowMs / 1000 + TsMarginSeconds)
        {
            return Ok(metrics, false);
        }
        var stored = await observed.IngestAsync(bookingId, e, nowMs, ct);
        if (stored)
        {
            logger.LogInformation("Observed {Kind} of uid {Uid} in {BookingId} (seq {ClientSeq})", e.IsJoin ? "join" : "leave", e.Uid, bookingId, e.ClientSeq);
        }
        return Ok(metrics, stored);
    }

    private static void Count(SessionVoiceMetrics metrics, string result) => metrics.WebhookEvents.Add(1, new KeyValuePair<string, object?>("result", result));

    private static Ok<WebhookAck> Ok(SessionVoiceMetrics metrics, bool stored)
    {
        Count(metrics, stored ? "stored" : "ignored");
        return TypedResults.Ok(new WebhookAck(true, stored));
    }
}
