using Microsoft.Extensions.Primitives;
using SessionVoice.Api.Infrastructure;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Session tokens (the JWTs of <see cref="JwtTokens"/>) on the routes marked with <see cref="RequireSessionToken"/>,
/// checked by one middleware after routing and before the rate limiter, whose per-wallet partition reads the caller it
/// sets. A route without the mark never looks at the Authorization header; a marked one costs the header and, for a
/// token seen before, one lookup (<see cref="ValidatedTokenCache"/>). A missing, malformed, forged or expired token is
/// answered 401 with <c>WWW-Authenticate: Bearer</c> and <c>{ "error": "unauthorized" }</c>, never saying why, and the
/// route's handler does not run.
/// </summary>
/// <remarks>
/// The header is read as ASP.NET Core's JWT bearer handler reads it: one value, the scheme <c>Bearer</c> in any letter
/// case followed by a space, the token trimmed. Several Authorization headers are refused (that handler would join
/// them with commas into a token that fails). The check runs in a middleware rather than the framework's
/// authentication and authorization middleware: those build a handler, an evaluator and their services per request,
/// which cost more than everything else the check does.
/// </remarks>
public static class SessionToken
{
    /// <summary>The route answers only requests with a valid session token; its handler sees the caller as <c>HttpContext.User</c>.</summary>
    public static TBuilder RequireSessionToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Required.Instance);

    /// <summary>After routing (the mark is on the endpoint) and before anything that reads the caller.</summary>
    public static IApplicationBuilder UseSessionTokens(this IApplicationBuilder app)
    {
        var jwt = app.ApplicationServices.GetRequiredService<JwtTokens>();
        return app.Use((context, next) => context.GetEndpoint()?.Metadata.GetMetadata<Required>() is null
            ? next(context)
            : AuthenticateAsync(context, next, jwt));
    }

    /// <summary>The token of a single <c>Bearer</c> Authorization header, or null.</summary>
    public static string? BearerToken(StringValues authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization.Count != 1 || authorization[0] is not { } value || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = value.AsSpan(Scheme.Length).Trim();
        return token.IsEmpty ? null : token.ToString();
    }

    private static async Task AuthenticateAsync(HttpContext context, RequestDelegate next, JwtTokens jwt)
    {
        if (BearerToken(context.Request.Headers.Authorization) is { } token && await jwt.AuthenticateAsync(token) is { } caller)
        {
            context.User = caller;
            await next(context);
            return;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ApiError.WriteAsync(context, StatusCodes.Status401Unauthorized, "unauthorized");
    }

    private sealed class Required
    {
        public static readonly Required Instance = new();
    }
}
