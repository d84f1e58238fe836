using System.Globalization;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Configuration;

/// <summary>A configuration value that stops startup; the message names the setting, never its value.</summary>
public sealed class ConfigurationException(string message) : Exception(message);

/// <summary>
/// Everything the service reads from its environment, under the seed's names (docs/configuration.md).
/// Parsed once at startup; a missing or malformed value fails fast.
/// </summary>
public sealed class ServiceSettings
{
    public required AgoraCredentials Agora { get; init; }

    public required byte[] JwtSecret { get; init; }

    public int Port { get; init; } = 3338;

    public Uri? RpcUrl { get; init; }

    public Address? EscrowAddress { get; init; }

    public PrivateKeySigner? Oracle { get; init; }

    public string? ServiceToken { get; init; }

    /// <summary>Wrong service tokens accepted per client address per minute before every service-token call from it is 429.</summary>
    public int ServiceTokenFailuresPerMinute { get; init; } = 10;

    public string? WebhookSecret { get; init; }

    /// <summary>AGORA_WEBHOOK_ACCEPT_SHA1=1 also accepts the older Agora-Signature (HMAC-SHA1) header.</summary>
    public bool WebhookAcceptSha1 { get; init; }

    public bool AllowForceOutcome { get; init; }

    /// <summary>Dapr mode: a sidecar is present (DAPR_HTTP_PORT / DAPR_GRPC_PORT) or SessionVoice:Runtime=Dapr.</summary>
    public bool DaprMode { get; init; }

    /// <summary>Where the sidecar's HTTP API is: DAPR_HTTP_ENDPOINT, or 127.0.0.1:DAPR_HTTP_PORT.</summary>
    public string? DaprHttpEndpoint { get; init; }

    /// <summary>DAPR_API_TOKEN: what the app sends to the sidecar when daprd requires it.</summary>
    public string? DaprApiToken { get; init; }

    /// <summary>APP_API_TOKEN: the token daprd sends on every call to the app (actor routes, the cron binding).</summary>
    public string? AppApiToken { get; init; }

    /// <summary>
    /// CORS_ORIGINS, comma-separated: the only origins browsers may call from. Empty (unset) means any
    /// origin, without credentials: the clients authenticate with a bearer token, not a cookie.
    /// </summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>DATA_DIR as given (null when unset: ./data, or in mock mode a temporary folder).</summary>
    public string? DataDir { get; init; }

    public ulong EscrowStartBlock { get; init; }

    public ulong? ChainId { get; init; }

    public bool MockEscrow { get; init; }

    public Address? MockHost { get; init; }

    public Address? MockGuest { get; init; }

    public bool PublishVideo { get; init; }

    public bool PublishData { get; init; }

    /// <summary>Sign-in requests per client address per minute (built-in fixed-window limiter).</summary>
    public int AuthRateLimitPerMinute { get; init; } = 600;

    /// <summary>
    /// Joins, token renewals and stats per signed-in wallet per minute: a client polling stats every two
    /// seconds uses 30; the rest of the budget is for retries and a second tab.
    /// </summary>
    public int SessionRateLimitPerMinute { get; init; } = 300;

    /// <summary>Booking reads request traffic may have open on the node at once (settlement's are apart).</summary>
    public int BookingLookupConcurrency { get; init; } = 16;

    /// <summary>How long a webhook's notice id is kept to recognise Agora's resends of it.</summary>
    public int WebhookNoticeRetentionHours { get; init; } = 72;

    /// <summary>eth_getLogs page size for the booking watcher (it shrinks when the RPC refuses).</summary>
    public int LogPageSize { get; init; } = 100;

    public int SettleSeconds { get; init; } = 30;

    public int MarginSeconds { get; init; } = 120;

    public int EarlySeconds { get; init; } = 300;

    /// <summary>TX_TYPE: eip1559 (default) or legacy.</summary>
    public bool LegacyTransactions { get; init; }

    /// <summary>GAS_PRICE_WEI: a fixed legacy gas price (MegaETH wants 1000000).</summary>
    public System.Numerics.BigInteger? GasPriceWei { get; init; }

    public int ReceiptTimeoutSeconds { get; init; } = 30;

    /// <summary>RPC_TIMEOUT_SECONDS: how long one JSON-RPC round trip may take before it counts as failed (and, for reads, is retried).</summary>
    public int RpcTimeoutSeconds { get; init; } = 10;

    /// <summary>CONFIRMATIONS: blocks on top of an attestation's block (itself included) before it is final; 1 = final at the receipt.</summary>
    public int Confirmations { get; init; } = 3;

    public int WatchIntervalSeconds { get; init; } = 5;

    /// <summary>How often due bookings are looked for. No-show fallbacks are due in one exact second (Dl), so keep it well under 1 s.</summary>
    public int SchedulerIntervalMs { get; init; } = 250;

    public static ServiceSettings Load(IConfiguration config)
    {
        string? Get(string name) => config[name] is { Length: > 0 } v ? v.Trim() : null;

        var mock = Flag(Get("MOCK_ESCROW"));
        // Every missing setting at once, not one per attempt.
        string[] required = mock
            ? ["AGORA_APP_ID", "AGORA_APP_CERTIFICATE", "JWT_SECRET", "MOCK_HOST", "MOCK_GUEST"]
            : ["AGORA_APP_ID", "AGORA_APP_CERTIFICATE", "JWT_SECRET", "RPC_URL", "ESCROW_ADDRESS"];
        if (required.Where(name => Get(name) is null).ToList() is { Count: > 0 } missing)
        {
            throw new ConfigurationException(MissingMessage(missing, mock));
        }

        var appId = Get("AGORA_APP_ID")!;
        var appCertificate = Get("AGORA_APP_CERTIFICATE")!;
        if (!AgoraCredentials.TryCreate(appId, appCertificate, out var agora, out _))
        {
            // The message names the setting, never the value (the certificate is a secret).
            throw new ConfigurationException((AgoraCredentials.IsWellFormed(appId), AgoraCredentials.IsWellFormed(appCertificate)) switch
            {
                (false, false) => "AGORA_APP_ID and AGORA_APP_CERTIFICATE must each be 32 hex characters",
                (false, _) => "AGORA_APP_ID must be 32 hex characters",
                _ => "AGORA_APP_CERTIFICATE must be 32 hex characters",
            });
        }
        var jwtSecret = System.Text.Encoding.UTF8.GetBytes(Get("JWT_SECRET")!);
        if (jwtSecret.Length < 32)
        {
            // HS256 needs a key of at least 256 bits.
            throw new ConfigurationException("JWT_SECRET must be at least 32 bytes");
        }
        var serviceToken = Get("SERVICE_TOKEN");
        if (serviceToken is not null && System.Text.Encoding.UTF8.GetByteCount(serviceToken) < MinServiceTokenBytes)
        {
            // As long as a JWT key: out of reach of guessing, even before the failure limit.
            throw new ConfigurationException($"SERVICE_TOKEN must be at least {MinServiceTokenBytes} bytes (e.g. openssl rand -hex 32)");
        }
        var settings = new ServiceSettings
        {
            Agora = agora!,
            JwtSecret = jwtSecret,
            Port = Get("PORT") is { } port ? ParseInt("PORT", port, 1, 65535) : 3338,
            RpcUrl = Get("RPC_URL") is { } rpc ? ParseUri("RPC_URL", rpc) : null,
            EscrowAddress = Get("ESCROW_ADDRESS") is { } escrow ? ParseAddress("ESCROW_ADDRESS", escrow) : null,
            Oracle = Get("ORACLE_PRIVATE_KEY") is { } key
                ? (PrivateKeySigner.TryParse(key, out var signer) ? signer : throw new ConfigurationException("ORACLE_PRIVATE_KEY is not a valid secp256k1 private key"))
                : null,
            ServiceToken = serviceToken,
            ServiceTokenFailuresPerMinute = Get("SERVICE_TOKEN_FAILURES_PER_MINUTE") is { } failures ? ParseInt("SERVICE_TOKEN_FAILURES_PER_MINUTE", failures, 1, 100_000) : 10,
            WebhookSecret = Get("AGORA_WEBHOOK_SECRET"),
            AllowForceOutcome = Flag(Get("ALLOW_FORCE_OUTCOME")),
            WebhookAcceptSha1 = Flag(Get("AGORA_WEBHOOK_ACCEPT_SHA1")),
            DaprMode = IsDaprMode(config),
            AppApiToken = Get("APP_API_TOKEN"),
            DaprApiToken = Get("DAPR_API_TOKEN"),
            DaprHttpEndpoint = Get("DAPR_HTTP_ENDPOINT") ?? (Get("DAPR_HTTP_PORT") is { } daprPort ? $"http://127.0.0.1:{ParseInt("DAPR_HTTP_PORT", daprPort, 1, 65535)}" : null),
            CorsOrigins = Get("CORS_ORIGINS")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            DataDir = Get("DATA_DIR"),
            EscrowStartBlock = Get("ESCROW_START_BLOCK") is { } start ? ParseULong("ESCROW_START_BLOCK", start) : 0,
            ChainId = Get("CHAIN_ID") is { } chain ? ParseULong("CHAIN_ID", chain) : null,
            MockEscrow = mock,
            MockHost = Get("MOCK_HOST") is { } host ? ParseAddress("MOCK_HOST", host) : null,
            MockGuest = Get("MOCK_GUEST") is { } guest ? ParseAddress("MOCK_GUEST", guest) : null,
            PublishVideo = Flag(Get("AGORA_PUBLISH_VIDEO")),
            PublishData = Flag(Get("AGORA_PUBLISH_DATA")),
            AuthRateLimitPerMinute = Get("AUTH_RATE_LIMIT_PER_MINUTE") is { } limit ? ParseInt("AUTH_RATE_LIMIT_PER_MINUTE", limit, 1, int.MaxValue) : 600,
            SessionRateLimitPerMinute = Get("SESSION_RATE_LIMIT_PER_MINUTE") is { } sessionLimit ? ParseInt("SESSION_RATE_LIMIT_PER_MINUTE", sessionLimit, 1, int.MaxValue) : 300,
            BookingLookupConcurrency = Get("BOOKING_LOOKUP_CONCURRENCY") is { } lookups ? ParseInt("BOOKING_LOOKUP_CONCURRENCY", lookups, 1, 1024) : 16,
            WebhookNoticeRetentionHours = Get("WEBHOOK_NOTICE_RETENTION_HOURS") is { } retention ? ParseInt("WEBHOOK_NOTICE_RETENTION_HOURS", retention, 1, 24 * 365) : 72,
            LogPageSize = Get("LOG_PAGE_SIZE") is { } page ? ParseInt("LOG_PAGE_SIZE", page, 1, 100_000) : 100,
            SettleSeconds = Get("SETTLE_SECONDS") is { } settle ? ParseInt("SETTLE_SECONDS", settle, 0, 3600) : 30,
            MarginSeconds = Get("MARGIN_SECONDS") is { } margin ? ParseInt("MARGIN_SECONDS", margin, 0, 3600) : 120,
            EarlySeconds = Get("EARLY_SECONDS") is { } early ? ParseInt("EARLY_SECONDS", early, 0, 3600) : 300,
            LegacyTransactions = Get("TX_TYPE") switch
            {
                null or "eip1559" => false,
                "legacy" => true,
                _ => throw new ConfigurationException("TX_TYPE must be legacy or eip1559"),
            },
            GasPriceWei = Get("GAS_PRICE_WEI") is { } price
                ? (System.Numerics.BigInteger.TryParse(price, NumberStyles.None, CultureInfo.InvariantCulture, out var wei) && wei > 0 ? wei : throw new ConfigurationException("GAS_PRICE_WEI must be a positive integer"))
                : null,
            ReceiptTimeoutSeconds = Get("RECEIPT_TIMEOUT_SECONDS") is { } receipt ? ParseInt("RECEIPT_TIMEOUT_SECONDS", receipt, 1, 3600) : 30,
            RpcTimeoutSeconds = Get("RPC_TIMEOUT_SECONDS") is { } rpcTimeout ? ParseInt("RPC_TIMEOUT_SECONDS", rpcTimeout, 1, 600) : 10,
            Confirmations = Get("CONFIRMATIONS") is { } confirmations ? ParseInt("CONFIRMATIONS", confirmations, 1, 1000) : 3,
            WatchIntervalSeconds = Get("WATCH_INTERVAL_SECONDS") is { } watch ? ParseInt("WATCH_INTERVAL_SECONDS", watch, 1, 3600) : 5,
            SchedulerIntervalMs = Get("SCHEDULER_INTERVAL_MS") is { } tick ? ParseInt("SCHEDULER_INTERVAL_MS", tick, 50, 60_000) : 250,
        };
        return settings;
    }

    /// <summary>SERVICE_TOKEN's minimum length in bytes (UTF-8).</summary>
    public const int MinServiceTokenBytes = 32;

    private static string MissingMessage(List<string> missing, bool mock)
    {
        var chain = missing.Any(name => name is "RPC_URL" or "ESCROW_ADDRESS");
        var mockParties = mock && missing.Any(name => name is "MOCK_HOST" or "MOCK_GUEST");
        if (missing.Count == 1)
        {
            return $"{missing[0]} is required{(chain ? " (or MOCK_ESCROW=1)" : mockParties ? " with MOCK_ESCROW=1" : "")}";
        }
        var hint = chain ? " (RPC_URL and ESCROW_ADDRESS, or MOCK_ESCROW=1)" : mockParties ? " (MOCK_HOST and MOCK_GUEST with MOCK_ESCROW=1)" : "";
        return $"{string.Join(", ", missing[..^1])} and {missing[^1]} are required{hint}";
    }

    public static bool IsDaprMode(IConfiguration config) =>
        config["SessionVoice:Runtime"] is { } runtime
            ? string.Equals(runtime, "Dapr", StringComparison.OrdinalIgnoreCase)
            : config["DAPR_HTTP_PORT"] is { Length: > 0 } || config["DAPR_GRPC_PORT"] is { Length: > 0 };

    private static bool Flag(string? value) => value is "1" or "true" or "TRUE" or "True" or "yes";

    private static int ParseInt(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ConfigurationException($"{name} must be an integer in [{min}, {max}]");

    private static ulong ParseULong(string name, string value) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new ConfigurationException($"{name} must be a non-negative integer");

    private static Uri ParseUri(string name, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ConfigurationException($"{name} must be an http(s) URL");

    private static Address ParseAddress(string name, string value) =>
        Address.TryParse(value, out var address) ? address : throw new ConfigurationException($"{name} must be a 0x-prefixed 20-byte address");
}
