using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
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

/// <summary>Compat: the seed's sign-in, <c>message</c> = <c>heaven-session:{unix seconds}</c> signed with personal_sign.</summary>
public sealed record SignInRequest(
    [property: JsonPropertyName("wallet")] string Wallet,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("signature")] string Signature);

/// <summary>Compat: ask for a single-use nonce for <c>wallet</c>.</summary>
public sealed record NonceRequest([property: JsonPropertyName("wallet")] string Wallet);

/// <summary>Compat: the issued nonce, signed with personal_sign by <c>wallet</c>.</summary>
public sealed record VerifyRequest(
    [property: JsonPropertyName("wallet")] string Wallet,
    [property: JsonPropertyName("signature")] string Signature,
    [property: JsonPropertyName("nonce")] string Nonce);

/// <summary>A <see cref="SignInRequest"/> as checked: an address, a well-formed message and its time, signature bytes.</summary>
public sealed record SignIn(Address Wallet, string Message, long Timestamp, byte[] Signature) : IJsonRequest<SignIn>
{
    public static SignIn? Read(JsonBody body, out string error)
    {
        if (!body.Address("wallet", out var wallet, out error) || body.String("message", out error) is not { } message || body.Hex("signature", AuthApi.MaxSignatureBytes, out error) is not { } signature)
        {
            return null;
        }
        if (!AuthApi.TryParseMessage(message, out var timestamp))
        {
            error = "message must be heaven-session:{unix seconds}";
            return null;
        }
        return new SignIn(wallet, message, timestamp, signature);
    }

    public static ValueTask<SignIn?> BindAsync(HttpContext context) => RequestBodies.Bound<SignIn>(context);
}

/// <summary>A <see cref="NonceRequest"/> as checked.</summary>
public sealed record NonceAsk(Address Wallet) : IJsonRequest<NonceAsk>
{
    public static NonceAsk? Read(JsonBody body, out string error) => body.Address("wallet", out var wallet, out error) ? new NonceAsk(wallet) : null;

    public static ValueTask<NonceAsk?> BindAsync(HttpContext context) => RequestBodies.Bound<NonceAsk>(context);
}

/// <summary>A <see cref="VerifyRequest"/> as checked (the nonce itself is checked by the handler: it needs the key).</summary>
public sealed record NonceSignIn(Address Wallet, string Nonce, byte[] Signature) : IJsonRequest<NonceSignIn>
{
    public static NonceSignIn? Read(JsonBody body, out string error) =>
        body.Address("wallet", out var wallet, out error) && body.String("nonce", out error) is { } nonce && body.Hex("signature", AuthApi.MaxSignatureBytes, out error) is { } signature
            ? new NonceSignIn(wallet, nonce, signature)
            : null;

    public static ValueTask<NonceSignIn?> BindAsync(HttpContext context) => RequestBodies.Bound<NonceSignIn>(context);
}

/// <summary>Wallet sign-in (docs/api.md, "Auth"): the seed's signed-timestamp flow and the nonce flow.</summary>
public static class AuthApi
{
    public const string RateLimitPolicy = "sign-in";
    public const string MessagePrefix = "heaven-session:";
    public const long MessageWindowSeconds = 300;
    public const long NonceLifetimeSeconds = 300;
    internal const int MaxSignatureBytes = 2048;

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/auth").RequireRateLimiting(RateLimitPolicy).WithTags("Auth");
        group.MapPost("", SignInAsync).WithSummary("Sign in with a personal_sign over heaven-session:{unix seconds}")
            .Request<SignInRequest, SignIn>().Refuses(StatusCodes.Status401Unauthorized, StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        group.MapPost("/nonce", IssueNonce).WithSummary("Issue a single-use nonce for a wallet")
            .Request<NonceRequest, NonceAsk>().Refuses(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        group.MapPost("/verify", VerifyNonceAsync).WithSummary("Sign in with a personal_sign over an issued nonce")
            .Request<VerifyRequest, NonceSignIn>().Refuses(StatusCodes.Status401Unauthorized, StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status429TooManyRequests);
        return app;
    }

    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ApiError>>> SignInAsync(SignIn request, AuthServices s, CancellationToken ct)
    {
        var now = s.Time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - request.Timestamp) > MessageWindowSeconds)
        {
            return Refused(s, "message", "message expired");
        }
        if (!await s.Signatures.VerifyAsync(request.Wallet, request.Message, request.Signature, ct))
        {
            return Refused(s, "message", "invalid signature");
        }
        if (!await s.Store.TryUseSignInMessageAsync(request.Wallet, request.Timestamp, now, ct))
        {
            return Refused(s, "message", "message already used");
        }
        Count(s, "message", "ok");
        s.Logger.LogInformation("Signed in {Wallet} (message)", request.Wallet);
        return TypedResults.Ok(new TokenResponse(s.Jwt.Issue(request.Wallet)));
    }

    public static Ok<NonceResponse> IssueNonce(NonceAsk request, AuthServices s) =>
        // Verifiable by any replica: nothing is stored until it is used.
        TypedResults.Ok(new NonceResponse(s.Nonces.Issue(request.Wallet, s.Time.GetUtcNow().ToUnixTimeSeconds() + NonceLifetimeSeconds)));

    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ApiError>>> VerifyNonceAsync(NonceSignIn request, AuthServices s, CancellationToken ct)
    {
        var now = s.Time.GetUtcNow().ToUnixTimeSeconds();
        if (!s.Nonces.IsValid(request.Nonce, request.Wallet, now, out var expiresAt))
        {
            return Refused(s, "nonce", "invalid or expired nonce");
        }
        // The signature is checked before the nonce is consumed: a bad signature must not burn it.
        // A used nonce is refused when it is consumed (one insert); checking it first as well would
        // cost a read per sign-in and spare no work an attacker could not cause with a fresh nonce.
        if (!await s.Signatures.VerifyAsync(request.Wallet, request.Nonce, request.Signature, ct))
        {
            return Refused(s, "nonce", "invalid signature");
        }
        if (!await s.Store.TryUseNonceAsync(request.Wallet, request.Nonce, expiresAt, now, ct))
        {
            return Refused(s, "nonce", "invalid or expired nonce");
        }
        Count(s, "nonce", "ok");
        s.Logger.LogInformation("Signed in {Wallet} (nonce)", request.Wallet);
        return TypedResults.Ok(new TokenResponse(s.Jwt.Issue(request.Wallet)));
    }

    private static void Count(AuthServices s, string flow, string result) =>
        s.Metrics.SignIns.Add(1, new KeyValuePair<string, object?>("flow", flow), new KeyValuePair<string, object?>("result", result));

    private static JsonHttpResult<ApiError> Refused(AuthServices s, string flow, string error)
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
}
