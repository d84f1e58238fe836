using System.Text.Json.Serialization;
using SessionVoice.Api.Apis;
using SessionVoice.Api.Sessions;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// Compile-time JSON metadata for every body this API answers with. It is first in the HTTP JSON
/// options' resolver chain (Hosting), so the web defaults (camelCase where a type has no
/// <c>JsonPropertyName</c>) still apply; the native build has no reflection-based fallback, so a
/// response type missing here is a 500 there (NativeHostTests calls every endpoint).
/// </summary>
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(OracleHealth))]
[JsonSerializable(typeof(NonceResponse))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(JoinResponse))]
[JsonSerializable(typeof(LeaveResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(WebhookAck))]
[JsonSerializable(typeof(AttestResponse))]
[JsonSerializable(typeof(SweepSummary))]
// Request bodies: only the OpenAPI document uses them (ApiDocs), and it needs their metadata in the native build.
[JsonSerializable(typeof(SignInRequest))]
[JsonSerializable(typeof(NonceRequest))]
[JsonSerializable(typeof(VerifyRequest))]
[JsonSerializable(typeof(JoinRequest))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
