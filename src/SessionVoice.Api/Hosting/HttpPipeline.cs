using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using SessionVoice.Api.Apis;
using SessionVoice.Api.Dapr;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Infrastructure;

namespace SessionVoice.Api.Hosting;

/// <summary>
/// The HTTP edge: Kestrel's limits and JSON refusals, response JSON metadata, session tokens, rate limits, CORS,
/// the OpenAPI document, and the request pipeline with every endpoint.
/// </summary>
public static class HttpPipeline
{
    internal static WebApplicationBuilder AddHttpEdge(this WebApplicationBuilder builder, ServiceSettings settings)
    {
        var services = builder.Services;
        if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
        {
            builder.WebHost.UseUrls($"http://{builder.Configuration["BIND_ADDRESS"] ?? "0.0.0.0"}:{settings.Port}");
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = RequestBodies.KestrelBackstopBytes;
            // Every listener, the configured ones and UseUrls' alike: Kestrel's own refusals get the { "error" } body.
            k.ConfigureEndpointDefaults(listen => listen.UseJsonRefusals());
        });


        // Response bodies from compile-time metadata first; the web defaults still apply.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));

        // Session tokens are checked by SessionToken (UseSessionTokens) on the routes that require them; the
        // framework's authorization serves daprd's actor calls in Dapr mode (DaprRuntime). Only there: WebApplication
        // puts the authorization middleware into every request's path by itself whenever its services are registered.
        if (settings.DaprMode)
        {
            services.AddAuthorization();
        }

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, ct) => new ValueTask(ApiError.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "too many requests"));
            limiter.AddPolicy(AuthApi.RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.AuthRateLimitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // Per signed-in wallet (the session token check runs first, so only valid tokens get here).
            limiter.AddPolicy(SessionApi.RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                JwtTokens.WalletOf(http.User)?.ToString() ?? "anonymous",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.SessionRateLimitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });

        // Browsers (the web client) call from their own origin. Sign-in is a bearer token in the
        // Authorization header, never a cookie, so answering any origin exposes nothing a script
        // could not already send: hence any origin by default and never Allow-Credentials
        // (AllowAnyOrigin refuses to combine with it). CORS_ORIGINS narrows it to exactly those origins.
        services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (settings.CorsOrigins.Count == 0 || settings.CorsOrigins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. settings.CorsOrigins]);
            }
            policy.AllowAnyHeader().AllowAnyMethod();
        }));
        services.AddSessionVoiceOpenApi();
        // No data protection in standalone mode: nothing here protects data (no cookies, no antiforgery; JWTs are
        // signed with JWT_SECRET), and registering it compiles its XML key ring into the native build (~1 MB of code).
        // Dapr mode's authentication brings it (DaprRuntime.KeepDataProtectionInMemory).
        return builder;
    }

    public static WebApplication UseSessionVoice(this WebApplication app)
    {
        app.UseJsonErrors();
        // Between the bind and the chain check (StartupSequence) nothing is served but daprd's configuration read.
        var chain = app.Services.GetRequiredService<ChainState>();
        app.Use((context, next) => chain.IsKnown || context.Request.Path.StartsWithSegments("/dapr/config")
            ? next(context)
            : ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "starting"));
        // Liveness probes answered here; routing (explicit, so it runs after them) and the rest for everything else.
        app.UseHealthShortcut();
        app.UseRouting();
        app.UseDefaultCors();
        app.UseSessionTokens();
        var settings = app.Services.GetRequiredService<ServiceSettings>();
        if (settings.DaprMode)
        {
            // Only daprd's actor calls carry authorization metadata (DaprRuntime.MapActors); an endpoint that declared
            // some in standalone mode would fail loudly at its first request rather than run unchecked.
            app.UseAuthorization();
        }
        app.UseRateLimiter();
        app.UseRequestBodies();
        app.MapOpenApi();
        app.MapHealthApi();
        app.MapAuthApi();
        app.MapSessionApi();
        app.MapAttestApi();
        app.MapWebhookApi();
        if (settings.DaprMode && RuntimeFeature.IsDynamicCodeSupported)
        {
            DaprRuntime.MapActors(app, settings);
        }
        return app;
    }

}
