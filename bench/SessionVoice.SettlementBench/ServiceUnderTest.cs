using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SessionVoice.Api.Standalone;
using SessionVoice.Testing;
using SessionVoice.Api.Hosting;

namespace SessionVoice.SettlementBench;

/// <summary>
/// The standalone service as Program.cs composes it (Hosting.AddSessionVoice / UseSessionVoice: watcher,
/// SettlementLoop, SQLite store, EscrowClient, OracleSubmitter), in this process on 127.0.0.1 with a free
/// port. Three things differ from `dotnet SessionVoice.Api.dll`: the clock moves with anvil's, the RPC
/// HttpClient counts what it sends, and logs go to <see cref="EventCounter"/> (warnings and errors only).
/// </summary>
internal sealed class ServiceUnderTest(WebApplication app, string dataDir) : IAsyncDisposable
{
    public SqliteSettlementStore Store => app.Services.GetRequiredService<SqliteSettlementStore>();

    public static async Task<ServiceUnderTest> StartAsync(EscrowChain chain, TimeProvider time, RpcCounter rpc, EventCounter events)
    {
        var dataDir = Directory.CreateTempSubdirectory("session-voice-settlement-bench-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["AGORA_APP_ID"] = RandomHex(16),
            ["AGORA_APP_CERTIFICATE"] = RandomHex(16),
            ["JWT_SECRET"] = RandomHex(32),
            ["DATA_DIR"] = dataDir,
            ["RPC_URL"] = chain.Anvil.RpcUrl.ToString(),
            ["CHAIN_ID"] = Anvil.DefaultChainId.ToString(CultureInfo.InvariantCulture),
            ["ESCROW_ADDRESS"] = chain.EscrowAddress.ToString(),
            ["ESCROW_START_BLOCK"] = chain.DeploymentBlock.ToString(CultureInfo.InvariantCulture),
            ["ORACLE_PRIVATE_KEY"] = AnvilAccounts.Keys[AnvilAccounts.Oracle],
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.AddSessionVoice();
        builder.Logging.ClearProviders().AddProvider(events);
        builder.Services.RemoveAll<HttpClient>();
        builder.Services.AddSingleton(_ => new HttpClient(rpc, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) });
        var app = builder.Build();
        app.UseSessionVoice();
        await app.StartAsync();
        return new ServiceUnderTest(app, dataDir);
    }

    private static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataDir, recursive: true);
    }
}
