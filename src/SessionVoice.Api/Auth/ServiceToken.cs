using System.Security.Cryptography;
using System.Text;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Service-to-service calls (attest, sweep): header X-Service-Token equal to SERVICE_TOKEN, compared
/// in constant time. Without a configured token the endpoints answer 503 and do nothing.
/// </summary>
public static class ServiceToken
{
    public const string Header = "X-Service-Token";

    /// <summary>The header daprd puts on its calls to the app when APP_API_TOKEN is set.</summary>
    public const string DaprHeader = "dapr-api-token";

    /// <summary>Null when allowed: X-Service-Token = SERVICE_TOKEN, or (Dapr mode) dapr-api-token = APP_API_TOKEN.</summary>
    public static IResult? Check(HttpRequest request, ServiceSettings settings)
    {
        var appToken = settings.DaprMode ? settings.AppApiToken : null;
        if (settings.ServiceToken is null && appToken is null)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "service token not configured");
        }
        var allowed = Matches(request.Headers[Header].ToString(), settings.ServiceToken)
            || Matches(request.Headers[DaprHeader].ToString(), appToken);
        return allowed ? null : ApiError.Unauthorized("invalid service token");
    }

    /// <summary>Constant-time whatever the lengths: both sides are hashed first.</summary>
    public static bool Matches(string given, string? expected) =>
        expected is not null && given.Length > 0
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
