using System.Text.Json.Serialization;
using System.Reflection;
using SessionVoice.Core.Sessions;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Apis;

/// <summary>Compat: the seed's liveness answer, plus what this service is configured with.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("chainId")] ulong ChainId,
    [property: JsonPropertyName("escrow")] string? Escrow,
    [property: JsonPropertyName("oracleConfigured")] bool OracleConfigured,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("version")] string Version);

public sealed record ReadyResponse([property: JsonPropertyName("ready")] bool Ready);

public static class HealthApi
{
    private static readonly string Version = typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Health).WithTags("Health").WithSummary("Liveness and configuration summary (compat)");
        app.MapGet("/health/ready", ReadyAsync).WithTags("Health").WithSummary("Ready when the RPC answers and the store is writable");
        return app;
    }

    public static IResult Health(ChainInfo chain, ServiceSettings settings) => TypedResults.Ok(new HealthResponse(
        true, chain.ChainId, chain.Escrow?.ToChecksumString(), settings.Oracle is not null, settings.DaprMode ? "dapr" : "standalone", Version));

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
        if (services.GetService<EthClient>() is { } eth)
        {
            try
            {
                await eth.BlockNumberAsync(ct);
            }
            catch (RpcException)
            {
                return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "rpc not answering");
            }
        }
        return TypedResults.Ok(new ReadyResponse(true));
    }
}
