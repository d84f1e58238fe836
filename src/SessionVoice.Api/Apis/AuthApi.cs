using System.Globalization;
using System.Text.Json.Serialization;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Telemetry;

namespace SessionVoice.Api.Apis;

public sealed record TokenResponse([property: JsonPropertyName("token")] string Token);

public sealed record NonceResponse([property: JsonPropertyName("nonce")] string Nonce);

public sealed class AuthServices(IAuthStore store, WalletSignatures signatures, JwtTokens jwt, SignInNonces nonces, TimeProvider time, SessionVoiceMetrics metrics, ILogger<AuthServices> logger)
{
    public SessionVoiceMetrics Metrics => metrics;

    public SignInNonces Nonces => nonces;

    public IAuthStore Store => store;

    public WalletSignatures Signatures => signatures;

    public JwtTokens Jwt => jwt;

    public TimeProvider Time => time;

    public ILogger Logger => logger;
}

/// <summary>Wallet sign-in (api.md, "Auth"): the seed's signed-timestamp flow and the nonce flow.</summary>
public static class AuthApi
{
    public const string RateLimitPolicy = "sign-in";
    public const string MessagePrefix = "heaven-session:";
    public const long MessageWindowSeconds = 300;
    public const long NonceLifetimeSeconds = 300;
    private const int MaxSignatureBytes = 2048;

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").RequireRateLimiting(RateLimitPolicy).WithTags("Auth");
        group.MapPost("", SignInAsync).WithSummary("Sign in with a personal_sign over heaven-session:{unix seconds}")
            .Request<SignInRequest>().Answers<TokenResponse>(StatusCodes.Status401Unauthorized, StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        group.MapPost("/nonce", IssueNonceAsync).WithSummary("Issue a single-use nonce for a wallet")
            .Request<NonceRequest>().Answers<NonceResponse>(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        group.MapPost("/verify", VerifyNonceAsync).WithSummary("Sign in with a personal_sign over an issued nonce")
            .Request<VerifyRequest>().Answers<TokenResponse>(StatusCodes.Status401Unauthorized, StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        return app;
    }

    public static async Task<IResult> SignInAsync(HttpRequest request, AuthServices s, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(request, ct);
        if (body is null)
        {
            return error!;
        }
        if (!ReadWallet(body, out var wallet, out var walletError))
        {
            return walletError!;
        }
        var message = body.String("message", out var messageError);
        if (message is null)
        {
            return ApiError.BadRequest(messageError!);
        }
        if (!ReadSignature(body, out var signature, out var signatureError))
        {
            return signatureError!;
        }
        if (!TryParseMessage(message, out var timestamp))
        {
            return ApiError.BadRequest("message must be heaven-session:{unix seconds}");
        }
        var now = s.Time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - timestamp) > MessageWindowSeconds)
        {
            return Refused(s, "message", "message expired");
        }
        if (!await s.Signatures.VerifyAsync(wallet, message, signature, ct))
        {
            return Refused(s, "message", "invalid signature");
        }
        if (!await s.Store.TryUseSignInMessageAsync(wallet, timestamp, now, ct))
        {
            return Refused(s, "message", "message already used");
        }
        Count(s, "message", "ok");
        s.Logger.LogInformation("Signed in {Wallet} (message)", wallet);
        return TypedResults.Ok(new TokenResponse(s.Jwt.Issue(wallet)));
    }

    public static async Task<IResult> IssueNonceAsync(HttpRequest request, AuthServices s, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(request, ct);
        if (body is null)
        {
            return error!;
        }
        if (!ReadWallet(body, out var wallet, out var walletError))
        {
            return walletError!;
        }
        // Verifiable by any replica: nothing is stored until it is used.
        var nonce = s.Nonces.Issue(wallet, s.Time.GetUtcNow().ToUnixTimeSeconds() + NonceLifetimeSeconds);
        return TypedResults.Ok(new NonceResponse(nonce));
    }

    public static async Task<IResult> VerifyNonceAsync(HttpRequest request, AuthServices s, CancellationToken ct)
    {
        var (body, error) = await JsonBody.ReadAsync(request, ct);
        if (body is null)
        {
            return error!;
        }
        if (!ReadWallet(body, out var wallet, out var walletError))
        {
            return walletError!;
        }
        var nonce = body.String("nonce", out var nonceError);
        if (nonce is null)
        {
            return ApiError.BadRequest(nonceError!);
        }
        if (!ReadSignature(body, out var signature, out var signatureError))
        {
            return signatureError!;
        }
        var now = s.Time.GetUtcNow().ToUnixTimeSeconds();
        if (!s.Nonces.IsValid(nonce, wallet, now, out var expiresAt))
        {
            return Refused(s, "nonce", "invalid or expired nonce");
        }
        // The signature is checked before the nonce is consumed: a bad signature must not burn it.
        // A used nonce is refused when it is consumed (one insert); checking it first as well would
        // cost a read per sign-in and spare no work an attacker could not cause with a fresh nonce.
        if (!await s.Signatures.VerifyAsync(wallet, nonce, signature, ct))
        {
            return Refused(s, "nonce", "invalid signature");
        }
        if (!await s.Store.TryUseNonceAsync(wallet, nonce, expiresAt, now, ct))
        {
            return Refused(s, "nonce", "invalid or expired nonce");
        }
        Count(s, "nonce", "ok");
        s.Logger.LogInformation("Signed in {Wallet} (nonce)", wallet);
        return TypedResults.Ok(new TokenResponse(s.Jwt.Issue(wallet)));
    }

    private static void Count(AuthServices s, string flow, string result) =>
        s.Metrics.SignIns.Add(1, new KeyValuePair<string, object?>("flow", flow), new KeyValuePair<string, object?>("result", result));

    private static IResult Refused(AuthServices s, string flow, string error)
    {
        Count(s, flow, error);
        return ApiError.Unauthorized(error);
    }

    internal static bool TryParseMessage(string message, out long timestamp)
    {
        timestamp = 0;
        if (!message.StartsWith(MessagePrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var digits = message.AsSpan(MessagePrefix.Length);
        if (digits.Length is 0 or > 12)
        {
            return false;
        }
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out timestamp);
    }

    private static bool ReadWallet(JsonBody body, out Address wallet, out IResult? error)
    {
        wallet = default;
        var text = body.String("wallet", out var message);
        if (text is null)
        {
            error = ApiError.BadRequest(message!);
            return false;
        }
        if (!Address.TryParse(text, out wallet))
        {
            error = ApiError.BadRequest("wallet must be a 0x-prefixed 20-byte address");
            return false;
        }
        error = null;
        return true;
    }

    private static bool ReadSignature(JsonBody body, out byte[] signature, out IResult? error)
    {
        signature = [];
        var text = body.String("signature", out var message);
        if (text is null)
        {
            error = ApiError.BadRequest(message!);
            return false;
        }
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.Length > 2 + 2 * MaxSignatureBytes || !Hex.TryDecode(text, out signature) || signature.Length == 0)
        {
            error = ApiError.BadRequest("signature must be 0x-prefixed hex");
            return false;
        }
        error = null;
        return true;
    }
}
