using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;

namespace SessionVoice.Api.Apis;

public sealed record AttestResponse(
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("tx_hash")] string? TxHash,
    [property: JsonPropertyName("status")] string Status)
{
    /// <summary>Why a pending attestation is not on chain yet (a classified reason); absent otherwise.</summary>
    [JsonPropertyName("reason")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }
}

/// <summary>Service endpoints: attest one booking now, and the safety-net sweep (the cron binding's route).</summary>
public static class AttestApi
{
    public const string SweepRoute = "/attest-sweep";

    public static IEndpointRouteBuilder MapAttestApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/session/{id}/attest", AttestAsync).WithTags("Settlement").WithSummary("Decide and attest now (service token); a stored result is returned as it is")
            .RequireServiceToken().Secured(ApiDocs.ServiceTokenScheme).WithMetadata(new ForceOutcomeQuery())
            .Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status429TooManyRequests,
                StatusCodes.Status503ServiceUnavailable);
        app.MapPost(SweepRoute, SweepAsync).RequireServiceToken().WithTags("Settlement").WithSummary("Read new escrow logs and decide every due booking (service token)");
        return app;
    }

    public static async Task<Results<Ok<AttestResponse>, JsonHttpResult<ApiError>>> AttestAsync(
        string id, HttpRequest request, ServiceSettings settings, IBookingSessions sessions, CancellationToken ct)
    {
        if (!BookingId.TryParse(id, out var bookingId))
        {
            return ApiError.BadRequest("booking id must be a decimal uint256");
        }
        Outcome? forced = null;
        if (request.Query.TryGetValue("force_outcome", out var force))
        {
            if (!settings.AllowForceOutcome)
            {
                return ApiError.Forbidden("force_outcome is disabled");
            }
            if (force.Count != 1 || !OutcomeNames.TryParse(force[0], out var outcome))
            {
                return ApiError.BadRequest("force_outcome must be completed, no-show-host or no-show-guest");
            }
            forced = outcome;
        }
        var actor = $"service-token@{request.HttpContext.Connection.RemoteIpAddress}";
        var result = await sessions.AttestAsync(bookingId, new AttestCommand(forced, actor), ct);
        return result switch
        {
            { Refusal: SessionRefusal.None, Value: { } view } => TypedResults.Ok(new AttestResponse(OutcomeNames.ToApi(view.Outcome), view.TxHash?.ToString(), view.Status) { Reason = view.Reason }),
            { Refusal: SessionRefusal.ForceRefused, Value: { } refused } => ApiError.Result(StatusCodes.Status409Conflict, $"forced outcome refused: {refused.Reason}"),
            { Refusal: SessionRefusal.NotFound } => ApiError.NotFound("booking not found"),
            { Refusal: SessionRefusal.NotActive } => ApiError.BadRequest("booking not active"),
            { Refusal: SessionRefusal.NotDue, Value: { NotBeforeUnix: { } until } } => ApiError.Result(StatusCodes.Status409Conflict, $"outcome not decided yet; next decision at {until}"),
            { Refusal: SessionRefusal.WindowMissed } => ApiError.Result(StatusCodes.Status409Conflict, "attestation window missed"),
            _ => ApiError.BadRequest("request refused"),
        };
    }

    public static async Task<Results<Ok<SweepSummary>, JsonHttpResult<ApiError>>> SweepAsync(IServiceProvider services, CancellationToken ct)
    {
        var sweep = services.GetService<ISweep>();
        if (sweep is null)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "settlement is not running");
        }
        return TypedResults.Ok(await sweep.SweepAsync(ct));
    }
}
