using System.Runtime.CompilerServices;
using Dapr.Actors.Client;
using Microsoft.AspNetCore.DataProtection;
using SessionVoice.Actors;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Dapr;

/// <summary>Dapr mode's wiring: actors, their proxies and services, the cluster-wide stores, the cron sweep, daprd's app token.</summary>
internal static class DaprRuntime
{
    /// <summary>The authorization policy that checks daprd's app token.</summary>
    public const string DaprPolicy = "Dapr";

    /// <summary>
    /// Dapr mode: the booking and oracle actors hold the state and drive reminders; the cron binding
    /// calls the sweep. daprd's app token (APP_API_TOKEN), when set, is required on the actor routes.
    /// </summary>
    internal static void AddDaprRuntime(this IServiceCollection services, ServiceSettings settings)
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
            KeepDataProtectionInMemory(services);
        }
    }

    /// <summary>
    /// Authentication brings data protection, which nothing here uses: its keys stay in memory (a read-only root
    /// filesystem needs no key folder), and its hosted service, which would load a key ring from $HOME/.aspnet at start
    /// (with System.Private.Xml, ~3.5 MB resident), is removed. Found by the assembly it comes from, not by name.
    /// </summary>
    internal static void KeepDataProtectionInMemory(IServiceCollection services)
    {
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        foreach (var loader in services.Where(IsDataProtectionHostedService).ToList())
        {
            services.Remove(loader);
        }
    }

    internal static bool IsDataProtectionHostedService(ServiceDescriptor service) =>
        service.ServiceType == typeof(IHostedService) && service.ImplementationType?.Assembly == typeof(IDataProtectionBuilder).Assembly;

    // Its own method so that standalone mode never loads Dapr.Actors.AspNetCore: a method is
    // compiled with every assembly it refers to.
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void MapActors(WebApplication app, ServiceSettings dapr)
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
}
