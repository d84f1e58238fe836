using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Dapr.Actors.Client;
using SessionVoice.Actors;
using SessionVoice.Api.Apis;
using SessionVoice.Api.Dapr;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Escrow;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Api.Settlement;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Telemetry;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api;

public static class Hosting
{
    public const int MaxRequestBodyBytes = 64 * 1024;

    /// <summary>The authorization policy that checks daprd's app token.</summary>
    public const string DaprPolicy = "Dapr";

    internal const string DataProtectionHostedService = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>Reads the configuration (failing fast) and registers the standalone wiring.</summary>
    public static WebApplicationBuilder AddSessionVoice(this WebApplicationBuilder builder)
    {
        var settings = ServiceSettings.Load(builder.Configuration);
        builder.AddObservability();
        var services = builder.Services;
        services.AddSingleton(settings);
        // A failure to start is reported once, as one line (Program): the framework's own error logs of it are held back.
        var gate = new StartupLogGate();
        services.AddSingleton(gate);
        services.PostConfigure<LoggerFilterOptions>(options => GateLogs(options, gate));
        services.TryAddSingleton(TimeProvider.System);

        if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null)
        {
            builder.WebHost.UseUrls($"http://{builder.Configuration["BIND_ADDRESS"] ?? "0.0.0.0"}:{settings.Port}");
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            // Every listener, the configured ones and UseUrls' alike: Kestrel's own refusals get the { "error" } body.
            k.ConfigureEndpointDefaults(listen => listen.UseJsonRefusals());
        });

        if (settings.MockEscrow)
        {
            services.AddSingleton(new ChainState(new ChainInfo(settings.ChainId ?? 6343, null)));
            services.AddSingleton<IBookingDirectory>(sp => new MockBookingDirectory(settings.MockHost!.Value, settings.MockGuest!.Value, sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            // A node that black-holes requests holds an evaluation no longer than this; the schedule retries within seconds.
            services.AddSingleton(_ => new HttpClient(new RpcReadRetries(new SocketsHttpHandler())) { Timeout = TimeSpan.FromSeconds(settings.RpcTimeoutSeconds) });
            services.AddSingleton(sp => new EthClient(new JsonRpcClient(sp.GetRequiredService<HttpClient>(), settings.RpcUrl!, sp.GetRequiredService<SessionVoiceMetrics>())));
            services.AddSingleton(sp => new EscrowClient(sp.GetRequiredService<EthClient>(), settings.EscrowAddress!.Value));
            // Read by StartupSequence once the server listens, never here: nothing blocks in a service factory.
            services.AddSingleton(new ChainState());
            services.AddSingleton<IBookingDirectory>(sp => new ChainBookingDirectory(
                sp.GetRequiredService<EscrowClient>(), sp.GetRequiredService<TimeProvider>(), new BookingLookupOptions { RequestConcurrency = settings.BookingLookupConcurrency }));
            services.AddSingleton<IChainClock>(sp => new ChainClock(sp.GetRequiredService<EthClient>(), sp.GetRequiredService<TimeProvider>()));
        }
        services.AddSingleton(sp => sp.GetRequiredService<ChainState>().Info);
        services.AddSingleton(new OracleStatus(settings.Oracle?.Address));
        services.AddSingleton<OracleMetrics>();
        services.AddHostedService<StartupSequence>();

        services.AddSingleton(sp => new WalletSignatures(sp.GetService<EthClient>(), sp.GetRequiredService<ILogger<WalletSignatures>>()));
        services.AddSingleton<JwtTokens>();
        services.AddSingleton<SignInNonces>();
        services.AddSingleton<AuthServices>();
        services.AddSingleton<ServiceTokenFailures>();
        services.AddSingleton(sp => new RtcTokenIssuer(settings.Agora, sp.GetRequiredService<TimeProvider>(), new RtcTokenOptions(settings.PublishVideo, settings.PublishData)));
        services.AddSingleton<SessionVoiceMetrics>();
        services.AddSingleton(sp => new SettlementCounters(sp.GetRequiredService<SessionVoiceMetrics>()));
        services.AddSingleton<JoinGrants>();
        services.AddSingleton(new SettlementOptions(
            new PolicyParameters(TimeSpan.FromSeconds(settings.SettleSeconds), TimeSpan.FromSeconds(settings.MarginSeconds), TimeSpan.FromSeconds(settings.EarlySeconds)),
            ObservedOnly: settings.WebhookSecret is not null)
        {
            // A late decision keeps one receipt timeout in hand before the contract's window closes.
            LateDecisionReserve = TimeSpan.FromSeconds(settings.ReceiptTimeoutSeconds),
        });
        if (!settings.MockEscrow)
        {
            services.AddSingleton(sp => new SubmitterOptions(sp.GetRequiredService<ChainInfo>().ChainId)
            {
                TransactionType = settings.LegacyTransactions ? TransactionType.Legacy : TransactionType.Eip1559,
                FixedGasPrice = settings.GasPriceWei,
                ReceiptTimeout = TimeSpan.FromSeconds(settings.ReceiptTimeoutSeconds),
                Confirmations = settings.Confirmations,
            });
        }
        // The native build (PublishAot) has no dynamic code: the branch is compiled out there, and
        // with it the Dapr SDK, whose actor runtime is reflection-based (Program refuses Dapr mode).
        if (settings.DaprMode && RuntimeFeature.IsDynamicCodeSupported)
        {
            services.AddDaprRuntime(settings);
        }
        else
        {
            services.AddStandaloneRuntime(settings);
        }

        // Response bodies from compile-time metadata first; the web defaults still apply.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<JwtTokens>((options, jwt) =>
        {
            options.MapInboundClaims = false;
            // WWW-Authenticate says "Bearer" and nothing about why a token failed (key, expiry, issuer).
            options.IncludeErrorDetails = false;
            options.TokenValidationParameters = jwt.ValidationParameters();
        });
        services.AddAuthorization();

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (context, ct) => new ValueTask(ApiError.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "too many requests"));
            limiter.AddPolicy(AuthApi.RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.AuthRateLimitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // Per signed-in wallet (authorization runs first, so only valid tokens get here).
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
        // Nothing here uses data protection (no cookies, no antiforgery; JWTs are signed with JWT_SECRET):
        // keep its keys in memory so a read-only root filesystem needs no key folder.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        // AddAuthentication registers a hosted service that loads the key ring at start anyway (from
        // $HOME/.aspnet, with System.Private.Xml, ~3.5 MB resident): unused with the ephemeral provider.
        if (services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.FullName == DataProtectionHostedService) is { } keyRingLoader)
        {
            services.Remove(keyRingLoader);
        }
        return builder;
    }

    private static void AddStandaloneRuntime(this IServiceCollection services, ServiceSettings settings)
    {
        // Only standalone mode has a local store (DATA_DIR): Dapr mode keeps everything in actor state. Mock mode's
        // synthetic booking starts anew at every start, and so does its store (DATA_DIR/mock, emptied at start, or a
        // temporary folder removed at stop): never the previous run's presence, never a file in the source tree.
        var store = settings.MockEscrow
            ? settings.DataDir is { } dataDir
                ? new StoreLocation(Path.Combine(dataDir, "mock"), Fresh: true, Owned: false)
                : new StoreLocation(Path.Combine(Path.GetTempPath(), $"session-voice-mock-{Guid.NewGuid():N}"), Fresh: true, Owned: true)
            : new StoreLocation(settings.DataDir ?? "./data", Fresh: false, Owned: false);
        services.AddSingleton(store);
        services.AddSingleton(_ => new SqliteDatabase(store.Directory));
        services.AddSingleton<SqliteStore>();
        services.AddSingleton<IAuthStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<IPresenceStore>(sp => sp.GetRequiredService<SqliteStore>());
        services.AddSingleton<SqliteSettlementStore>();
        services.AddSingleton<SqliteWatcherBlocks>();
        services.AddSingleton<SqliteObservedStore>();
        services.AddSingleton<WebhookNoticePruning>();
        if (!settings.MockEscrow)
        {
            services.AddSingleton(sp => new EscrowWatcher(
                sp.GetRequiredService<EscrowClient>(),
                new SqliteWatcherStore(sp.GetRequiredService<SqliteSettlementStore>(), sp.GetRequiredService<SqliteWatcherBlocks>()),
                sp.GetRequiredService<IBookingTracker>(),
                new WatcherOptions(settings.EscrowStartBlock, settings.LogPageSize),
                sp.GetRequiredService<ILogger<EscrowWatcher>>(),
                sp.GetService<IBookingDirectory>()));
            services.AddSingleton<IAttestationTxStore, SqliteAttestationTxStore>();
            if (settings.Oracle is { } oracle)
            {
                services.AddSingleton(sp => new OracleKeyLane(oracle.Address, sp.GetRequiredService<TimeProvider>()));
                services.AddSingleton(sp => new OracleSubmitter(
                    sp.GetRequiredService<EscrowClient>(), oracle, sp.GetRequiredService<IAttestationTxStore>(), sp.GetRequiredService<SubmitterOptions>(),
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<OracleSubmitter>>(), sp.GetRequiredService<OracleKeyLane>(), sp.GetRequiredService<OracleStatus>()));
            }
        }
        services.AddSingleton<IBookingTracker, StandaloneTracker>();
        services.AddSingleton<IObservedSink, StandaloneObservedSink>();
        services.AddSingleton<IBookingStore, SqliteBookingStore>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<BookingSettlement>(sp, [.. OptionalArgs(sp.GetService<OracleSubmitter>())]));
        services.AddSingleton<StandaloneBookingSessions>();
        services.AddSingleton<IBookingSessions>(sp => sp.GetRequiredService<StandaloneBookingSessions>());
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SettlementLoop>(sp, [.. OptionalArgs(sp.GetService<EscrowWatcher>())]));
        services.AddSingleton<ISweep>(sp => sp.GetRequiredService<SettlementLoop>());
        // Started by StartupSequence once the chain is known (the loop reads it at once), not as a hosted service of its own.
    }

    /// <summary>
    /// Dapr mode: the booking and oracle actors hold the state and drive reminders; the cron binding
    /// calls the sweep. daprd's app token (APP_API_TOKEN), when set, is required on the actor routes.
    /// </summary>
    private static void AddDaprRuntime(this IServiceCollection services, ServiceSettings settings)
    {
        services.AddActors(options =>
        {
            options.UseJsonSerialization = true;
            if (settings.DaprHttpEndpoint is { } endpoint)
            {
                options.HttpEndpoint = endpoint;
            }
            if (settings.DaprApiToken is { } apiToken)
            {
                options.DaprApiToken = apiToken;
            }
            options.Actors.RegisterActor<BookingActor>();
            options.Actors.RegisterActor<SignInActor>();
            if (settings.Oracle is not null)
            {
                options.Actors.RegisterActor<OracleActor>();
            }
            if (!settings.MockEscrow)
            {
                options.Actors.RegisterActor<WatcherActor>();
            }
        });
        // The SDK's proxy keeps HttpClient's 100 s timeout, shorter than what daprd may spend on one call with the
        // resiliency policy's retries: the proxy would give up on a call daprd is still retrying.
        var sdkProxies = services.Last(d => d.ServiceType == typeof(IActorProxyFactory));
        services.Remove(sdkProxies);
        services.AddSingleton<IActorProxyFactory>(sp =>
        {
            var factory = (IActorProxyFactory)sdkProxies.ImplementationFactory!(sp);
            if (factory is ActorProxyFactory sdk)
            {
                sdk.DefaultOptions.RequestTimeout = DaprTimeouts.ActorProxyRequestTimeout;
            }
            return factory;
        });
        services.AddSingleton<IAuthStore>(sp => new DaprAuthStore(
            sp.GetRequiredService<IActorProxyFactory>(),
            new HttpClient { BaseAddress = new Uri(settings.DaprHttpEndpoint ?? "http://127.0.0.1:3500"), Timeout = TimeSpan.FromSeconds(5) }));
        if (!settings.MockEscrow)
        {
            services.AddSingleton(sp => new WatcherActorServices(
                sp.GetRequiredService<EscrowClient>(),
                new WatcherOptions(settings.EscrowStartBlock, settings.LogPageSize),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>(),
                sp.GetService<IBookingDirectory>()));
        }
        services.AddSingleton(sp => new BookingActorServices(
            sp.GetRequiredService<IBookingDirectory>(),
            sp.GetRequiredService<ChainInfo>(),
            sp.GetRequiredService<SettlementOptions>(),
            sp.GetRequiredService<SettlementCounters>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            () => settings.Oracle is not { } oracle ? null
                : settings.MockEscrow ? new OracleActorSender(sp.GetRequiredService<IActorProxyFactory>(), oracle.Address)
                : new OracleActorSender(sp.GetRequiredService<IActorProxyFactory>(), oracle.Address, sp.GetRequiredService<EscrowClient>(),
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<SubmitterOptions>().ReceiptTimeout),
            sp.GetService<IChainClock>(),
            TimeSpan.FromHours(settings.WebhookNoticeRetentionHours)));
        if (settings.Oracle is { } key && !settings.MockEscrow)
        {
            services.AddSingleton(sp => new OracleKeyLane(key.Address, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton(sp => new OracleActorServices(
                sp.GetRequiredService<EscrowClient>(), key, sp.GetRequiredService<OracleKeyLane>(), sp.GetRequiredService<SubmitterOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(),
                sp.GetRequiredService<OracleStatus>()));
        }
        services.AddSingleton<DaprBookingSessions>();
        services.AddSingleton<IBookingSessions>(sp => sp.GetRequiredService<DaprBookingSessions>());
        services.AddSingleton<IBookingTracker>(sp => sp.GetRequiredService<DaprBookingSessions>());
        services.AddSingleton<IObservedSink>(sp => sp.GetRequiredService<DaprBookingSessions>());
        services.AddSingleton<ISweep, DaprSweep>();
        if (settings.AppApiToken is not null)
        {
            Microsoft.AspNetCore.Authentication.DaprAuthenticationBuilderExtensions.AddDapr(services.AddAuthentication(), options => options.Token = settings.AppApiToken);
            services.AddAuthorization(options => Microsoft.AspNetCore.Authorization.DaprAuthorizationOptionsExtensions.AddDapr(options, DaprPolicy));
        }
    }

    public static WebApplication UseSessionVoice(this WebApplication app)
    {
        app.UseJsonErrors();
        // Between the bind and the chain check (StartupSequence) nothing is served but daprd's configuration read.
        var chain = app.Services.GetRequiredService<ChainState>();
        app.Use((context, next) => chain.IsKnown || context.Request.Path.StartsWithSegments("/dapr/config")
            ? next(context)
            : ApiError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "starting"));
        app.UseDefaultCors();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi();
        app.MapHealthApi();
        app.MapAuthApi();
        app.MapSessionApi();
        app.MapAttestApi();
        app.MapWebhookApi();
        if (app.Services.GetRequiredService<ServiceSettings>() is { DaprMode: true } dapr && RuntimeFeature.IsDynamicCodeSupported)
        {
            MapActors(app, dapr);
        }
        return app;
    }

    // Its own method so that standalone mode never loads Dapr.Actors.AspNetCore: a method is
    // compiled with every assembly it refers to.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MapActors(WebApplication app, ServiceSettings dapr)
    {
        var actorRoutes = app.MapActorsHandlers();
        if (dapr.AppApiToken is not null)
        {
            // daprd reads /dapr/config at startup to learn the actor types: it must stay reachable.
            actorRoutes.Add(endpoint =>
            {
                if (endpoint is RouteEndpointBuilder route && route.RoutePattern.RawText?.TrimStart('/') != "dapr/config")
                {
                    endpoint.Metadata.Add(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute(DaprPolicy));
                }
            });
        }
    }

    private static IEnumerable<object> OptionalArgs(object? value) => value is null ? [] : [value];

    /// <summary>Every filter rule (and the default) also asks the start-up gate.</summary>
    private static void GateLogs(LoggerFilterOptions options, StartupLogGate gate)
    {
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var filter = rule.Filter;
            options.Rules[i] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, rule.LogLevel,
                (provider, category, level) => gate.Allows(category, level) && (filter is null || filter(provider, category, level)));
        }
        if (!options.Rules.Any(rule => rule.ProviderName is null && rule.CategoryName is null))
        {
            options.Rules.Add(new LoggerFilterRule(null, null, options.MinLevel, (_, category, level) => gate.Allows(category, level)));
        }
    }
}
