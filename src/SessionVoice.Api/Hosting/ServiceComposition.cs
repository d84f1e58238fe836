using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionVoice.Api.Apis;
using SessionVoice.Api.Dapr;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Configuration;
using SessionVoice.Api.Escrow;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Sessions;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Telemetry;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Hosting;

/// <summary>
/// The service's composition: settings (failing fast), observability, the chain and escrow clients, what both
/// runtimes share, then one runtime (<c>Standalone/StandaloneRuntime</c> or <c>Dapr/DaprRuntime</c>) and the HTTP
/// edge (<see cref="HttpPipeline"/>). Nothing here reads the chain: <c>StartupSequence</c> does, once the port is bound.
/// </summary>
public static class ServiceComposition
{
    /// <summary>Reads the configuration (failing fast) and registers the service for the runtime it selects.</summary>
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

        builder.AddHttpEdge(settings);
        return builder;
    }

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
