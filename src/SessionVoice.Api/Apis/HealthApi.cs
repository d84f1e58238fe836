using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using System.Reflection;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Ethereum;
using SessionVoice.Api.Standalone;
using System.Globalization;
using System.Numerics;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Apis;

/// <summary>Compat: the seed's liveness answer, plus what this service is configured with.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("chainId")] ulong ChainId,
    [property: JsonPropertyName("escrow")] string? Escrow,
    [property: JsonPropertyName("oracleConfigured")] bool OracleConfigured,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("version")] string Version);

/// <summary>Ready, and how the oracle key stands (absent without an oracle key or in mock mode).</summary>
public sealed record ReadyResponse([property: JsonPropertyName("ready")] bool Ready)
{
    /// <summary>Set (with <c>ready: false</c>, status 503) when the oracle cannot pay for the attestations that are due.</summary>
    [JsonPropertyName("error")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    [JsonPropertyName("oracle")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OracleHealth? Oracle { get; init; }
}

/// <summary>
/// The oracle key: its address, balance in wei (a decimal string; null when it could not be read), the decided
/// attestations not yet on chain (null where this process cannot count them: Dapr mode), and the last classified
/// error of a submission with its time (unix ms) and whether a transaction went out since.
/// </summary>
public sealed record OracleHealth(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("balanceWei")] string? BalanceWei,
    [property: JsonPropertyName("pending")] int? Pending,
    [property: JsonPropertyName("lastError")] string? LastError,
    [property: JsonPropertyName("lastErrorAt")] long? LastErrorAt,
    [property: JsonPropertyName("lastErrorCurrent")] bool LastErrorCurrent);

public static class HealthApi
{
    private static readonly string Version = typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Health).WithTags("Health").WithSummary("Liveness and configuration summary (compat)");
        app.MapGet("/health/ready", ReadyAsync).WithTags("Health").WithSummary("Ready when the RPC answers, the store is writable and the oracle can pay for the pending attestations")
            .Answers<ReadyResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static Ok<HealthResponse> Health(ChainInfo chain, ServiceSettings settings) => TypedResults.Ok(Describe(chain, settings));

    private static HealthResponse Describe(ChainInfo chain, ServiceSettings settings) => new(
        true, chain.ChainId, chain.Escrow?.ToChecksumString(), settings.Oracle is not null, settings.DaprMode ? "dapr" : "standalone", Version);

    /// <summary>
    /// <c>GET /health</c> without an <c>Origin</c> header (probes, load balancers, curl) answered before routing, CORS,
    /// authentication, authorization and the rate limiter, none of which has anything to do for it (anonymous, no
    /// limit): the same status, content type and body as the endpoint, serialized once when the chain is known (the
    /// checksummed escrow address is a Keccak per answer otherwise). A browser's request (with <c>Origin</c>) takes
    /// the endpoint, which adds the CORS headers. Goes after the "starting" refusal and before <c>UseRouting</c>.
    /// </summary>
    public static WebApplication UseHealthShortcut(this WebApplication app)
    {
        var chain = app.Services.GetRequiredService<ChainState>();
        var settings = app.Services.GetRequiredService<ServiceSettings>();
        // The endpoint's own serializer settings (web defaults, relaxed escaping): the same bytes.
        var json = app.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        byte[]? body = null;
        app.Use((context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) || !string.Equals(request.Path.Value, "/health", StringComparison.OrdinalIgnoreCase)
                || request.Headers.ContainsKey(HeaderNames.Origin) || !chain.IsKnown)
            {
                return next(context);
            }
            body ??= JsonSerializer.SerializeToUtf8Bytes(Describe(chain.Info, settings), (JsonTypeInfo<HealthResponse>)json.GetTypeInfo(typeof(HealthResponse)));
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
        });
        return app;
    }

    public static async Task<IResult> ReadyAsync(IAuthStore store, TimeProvider time, IServiceProvider services, CancellationToken ct)
    {
        try
        {
            await store.CheckWritableAsync(time.GetUtcNow().ToUnixTimeSeconds(), ct);
        }
        catch (Exception)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "store not writable");
        }
        if (services.GetService<EthClient>() is not { } eth)
        {
            return TypedResults.Ok(new ReadyResponse(true));
        }
        try
        {
            await eth.BlockNumberAsync(ct);
        }
        catch (RpcException)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "rpc not answering");
        }
        if (services.GetService<OracleStatus>() is not { Address: { } address } status)
        {
            return TypedResults.Ok(new ReadyResponse(true));
        }
        var balance = await OracleBalanceAsync(eth, status, address, time, ct);
        // Dapr mode keeps decisions in the booking actors, which this process cannot count.
        var pending = services.GetService<ServiceSettings>() is { DaprMode: false } ? services.GetService<SqliteSettlementStore>()?.CountPendingAttestations() : null;
        var (fault, current) = status.LastFault;
        var oracle = new OracleHealth(
            address.ToChecksumString(), balance?.ToString(CultureInfo.InvariantCulture), pending, fault?.Reason, fault?.AtUnixMs, current && fault is not null);
        // Dapr mode cannot count the pending ones here: one due attestation is assumed while the key's last word was a refusal.
        var due = pending ?? (current && fault is not null ? 1 : 0);
        if (status.CannotPay(due, balance))
        {
            var why = current && fault is not null ? fault.Reason : SubmissionReasons.InsufficientFunds;
            return TypedResults.Json(
                new ReadyResponse(false) { Error = $"oracle cannot pay for {due} pending attestation(s): {why}", Oracle = oracle },
                ApiJsonContext.Default.ReadyResponse,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        return TypedResults.Ok(new ReadyResponse(true) { Oracle = oracle });
    }

    /// <summary>The oracle's balance now (also kept for the balance metric); null when the node does not say.</summary>
    private static async Task<BigInteger?> OracleBalanceAsync(EthClient eth, OracleStatus status, Address address, TimeProvider time, CancellationToken ct)
    {
        try
        {
            var wei = await eth.GetBalanceAsync(address, BlockTag.Latest, ct);
            status.ObserveBalance(wei, time.GetUtcNow().ToUnixTimeMilliseconds());
            return wei;
        }
        catch (RpcException)
        {
            return null;
        }
    }
}
