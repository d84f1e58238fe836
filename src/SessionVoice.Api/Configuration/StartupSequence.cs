using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Api.Standalone;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Submission;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Configuration;

/// <summary>
/// The chain the service runs on. Known from the settings in mock mode; otherwise read from the node by
/// <see cref="StartupSequence"/> once the server listens. Nothing blocks on it: before it is known the API answers
/// 503 "starting" and <see cref="Info"/> throws.
/// </summary>
public sealed class ChainState(ChainInfo? known = null)
{
    private ChainInfo? _info = known;

    public bool IsKnown => Volatile.Read(ref _info) is not null;

    public ChainInfo Info => Volatile.Read(ref _info)
        ?? throw new InvalidOperationException("the chain is read at start-up once the server listens; nothing may use it before");

    public void Set(ChainInfo info) => Volatile.Write(ref _info, info);
}

/// <summary>
/// The start-up steps, in order. Before the server binds: the store (DATA_DIR), which needs no chain. Once it listens
/// (StartedAsync): eth_chainId and CHAIN_ID, then the settlement loop and the resumed attestations, which read the
/// chain. A failure is a <see cref="ConfigurationException"/> naming the setting; Program prints it as one line.
/// </summary>
internal sealed class StartupSequence(
    IServiceProvider services, ServiceSettings settings, ChainState chain, StartupLogGate gate, ILogger<StartupSequence> logger, StoreLocation? store = null)
    : IHostedLifecycleService
{
    private SettlementLoop? _loop;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is not null)
        {
            DataDirCheck.Open(services, store);
        }
        return Task.CompletedTask;
    }

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        if (!chain.IsKnown)
        {
            chain.Set(await ReadChainAsync(services.GetRequiredService<EthClient>(), settings, cancellationToken));
        }
        var info = chain.Info;
        _ = services.GetRequiredService<OracleMetrics>();
        if (store is not null)
        {
            _loop = services.GetRequiredService<SettlementLoop>();
            await _loop.StartAsync(cancellationToken);
        }
        // Transactions persisted before a restart are sent again as they are (never signed anew); the schedule checks them.
        if (services.GetService<OracleSubmitter>() is { } submitter)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    foreach (var (id, result) in await submitter.ResumeAsync(CancellationToken.None))
                    {
                        logger.LogInformation("Resumed attestation of {BookingId}: {Result}", id, result.GetType().Name);
                    }
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Resuming pending attestations failed");
                }
            }, CancellationToken.None);
        }
        if (store is null)
        {
            logger.LogInformation("Dapr mode on chain {ChainId}, escrow {Escrow}: state in the actor state store", info.ChainId, info.Escrow?.ToString() ?? "mock");
        }
        else
        {
            logger.LogInformation("Standalone on chain {ChainId}, escrow {Escrow}, store {Store}", info.ChainId, info.Escrow?.ToString() ?? "mock", store.DatabasePath);
        }
        if (!Secp256k1Native.IsAvailable)
        {
            logger.LogWarning("libsecp256k1 with its recovery module was not found: sign-in signatures are recovered by managed code, about 4x the CPU per sign-in (Debian and Ubuntu: apt-get install libsecp256k1-1)");
        }
        gate.Open();
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => _loop?.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (store is { Owned: true })
        {
            try
            {
                // Open connections keep their files until the container is disposed; the names go now.
                SqliteDatabase.Delete(store.Directory);
                Directory.Delete(store.Directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return Task.CompletedTask;
    }

    internal static async Task<ChainInfo> ReadChainAsync(EthClient eth, ServiceSettings settings, CancellationToken ct)
    {
        ulong chainId;
        try
        {
            chainId = await eth.ChainIdAsync(ct);
        }
        catch (RpcException e)
        {
            throw new ConfigurationException($"RPC_URL does not answer eth_chainId: {Describe(e)}");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new ConfigurationException("RPC_URL does not answer eth_chainId: not a JSON-RPC endpoint (its answer holds no chain id)");
        }
        if (settings.ChainId is { } expected && expected != chainId)
        {
            throw new ConfigurationException($"CHAIN_ID does not match the chain of the RPC_URL node ({chainId})");
        }
        return new ChainInfo(chainId, settings.EscrowAddress);
    }

    /// <summary>The failure in an operator's words, from the client's classification (<see cref="RpcErrorKind"/>).</summary>
    internal static string Describe(RpcException e) => e.Kind switch
    {
        RpcErrorKind.Timeout => "timed out (no answer within RPC_TIMEOUT_SECONDS)",
        RpcErrorKind.RateLimited => "rate limited by the node (HTTP 429)",
        RpcErrorKind.MethodNotFound => "not a JSON-RPC endpoint of an Ethereum node (eth_chainId is not a method there)",
        RpcErrorKind.Transport => e.InnerException switch
        {
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "connection refused",
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.TimedOut } } => "timed out (connecting)",
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "host not found",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
            HttpRequestException => "connection failed",
            // "transport: HTTP 200 with a non-JSON body": the status is the node's, never part of the URL.
            JsonException => $"not a JSON-RPC endpoint ({e.Error.Message["transport: ".Length..]})",
            _ => "connection failed",
        },
        _ => $"not a JSON-RPC endpoint (error {e.Error.Code})",
    };
}

/// <summary>
/// Where the standalone store lives; whether it is emptied at start (mock mode) and whether the folder is the
/// service's own, removed at stop (mock mode without DATA_DIR).
/// </summary>
public sealed record StoreLocation(string Directory, bool Fresh, bool Owned)
{
    public string DatabasePath => SqliteDatabase.PathIn(Directory);
}

/// <summary>
/// Opens the store before the server binds, so that a DATA_DIR that cannot hold it stops start-up with its name:
/// missing and not creatable, a file in the way, read-only, full.
/// </summary>
internal static class DataDirCheck
{
    /// <summary>Bytes written (and removed) to learn that DATA_DIR has room for the database to grow a little.</summary>
    private const int ProbeBytes = 32 * 1024;

    public static void Open(IServiceProvider services, StoreLocation store)
    {
        try
        {
            if (FileInTheWay(store.Directory) is { } inTheWay)
            {
                throw new ConfigurationException(inTheWay);
            }
            Directory.CreateDirectory(store.Directory);
            if (store.Fresh)
            {
                SqliteDatabase.Delete(store.Directory);
            }
            Probe(store.Directory);
            // Every table is created now, not at the first request that needs it.
            _ = services.GetRequiredService<SqliteStore>();
            _ = services.GetRequiredService<SqliteSettlementStore>();
            _ = services.GetRequiredService<SqliteWatcherBlocks>();
            _ = services.GetRequiredService<SqliteObservedStore>();
            _ = services.GetService<IAttestationTxStore>();
        }
        catch (Exception e) when (Reason(e) is { } reason)
        {
            throw new ConfigurationException($"DATA_DIR {reason}");
        }
    }

    private static string? FileInTheWay(string directory)
    {
        var path = Path.GetFullPath(directory);
        if (File.Exists(path))
        {
            return "DATA_DIR is a file, not a directory";
        }
        for (var parent = Path.GetDirectoryName(path); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                return "DATA_DIR cannot be created: a file is in the way of one of its parent directories";
            }
        }
        return null;
    }

    private static void Probe(string directory)
    {
        var probe = Path.Combine(directory, $".write-probe-{Environment.ProcessId}");
        try
        {
            using var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 4096);
            stream.Write(new byte[ProbeBytes]);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private const int ENOSPC = 28;
    private const int EROFS = 30;
    private const int EDQUOT = 122;

    private static string? Reason(Exception e) => e switch
    {
        ConfigurationException => null,
        SqliteException { SqliteErrorCode: 13 } => "is full (no space left on its device)",
        SqliteException { SqliteErrorCode: 8 } => "is not writable (the database is read-only)",
        SqliteException { SqliteErrorCode: 11 or 26 } => $"holds a {SqliteDatabase.FileName} that is not a SQLite database",
        SqliteException { SqliteErrorCode: 10 } => "cannot be written (disk I/O error)",
        SqliteException => "cannot hold the database (SQLite cannot open a file in it)",
        UnauthorizedAccessException => "is not writable by this process (permission denied)",
        IOException { HResult: ENOSPC or EDQUOT } => "is full (no space left on its device)",
        IOException { HResult: EROFS } => "is on a read-only file system",
        IOException => "cannot be created or written (the file system refuses it)",
        _ => null,
    };
}
