using SessionVoice.Api.Configuration;
using SessionVoice.Api.Sessions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Escrow.Watching;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Standalone;

/// <summary>Standalone mode's wiring: the SQLite stores, the watcher and submitter, the in-process settlement loop.</summary>
internal static class StandaloneRuntime
{
    internal static void AddStandaloneRuntime(this IServiceCollection services, ServiceSettings settings)
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
        services.AddSingleton(sp => new SqliteDatabase(store.Directory, sp.GetRequiredService<ILogger<SqliteDatabase>>()));
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

    private static IEnumerable<object> OptionalArgs(object? value) => value is null ? [] : [value];
}
