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

    public static IResult? Check(HttpRequest request, ServiceSettings settings)
    {
        if (settings.ServiceToken is not { } expected)
        {
            return ApiError.Result(StatusCodes.Status503ServiceUnavailable, "service token not configured");
        }
        var given = request.Headers[Header].ToString();
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        // Hashing first keeps the comparison constant-time whatever the lengths.
        return given.Length > 0 && CryptographicOperations.FixedTimeEquals(a, b) ? null : ApiError.Unauthorized("invalid service token");
    }
}
