using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Core.Sessions.Settlement;

namespace SessionVoice.Api.Tests;

/// <summary>
/// anvil + escrow + the service, with the service's clock and the chain's clock moved together, so
/// a 10-minute session plays out in seconds. Nobody calls /attest: settlement must happen by itself.
/// </summary>
public sealed class SettlementScenario : IAsyncDisposable
{
    public static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    public static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);

    private SettlementScenario(EscrowChain chain, ShiftedTime time, string dataDir)
    {
        Chain = chain;
        Time = time;
        DataDir = dataDir;
    }

    public EscrowChain Chain { get; }

    public ShiftedTime Time { get; }

    public string DataDir { get; }

    public ApiHost Api { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string HostToken { get; private set; } = "";

    public string GuestToken { get; private set; } = "";

    public TestBooking Booking { get; private set; } = null!;

    private IDictionary<string, string?> _extra = new Dictionary<string, string?>();

    private Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? _services;

    /// <summary>Between the service and anvil when the scenario was started with <c>throughProxy</c>: the test injects RPC faults there.</summary>
    public RpcFaultProxy? Proxy { get; private set; }

    public static async Task<SettlementScenario> StartAsync(
        uint durationMins = 10, uint graceMins = 2, uint minOverlapMins = 3, long startsInSeconds = 120, IDictionary<string, string?>? extraSettings = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null, bool throughProxy = false,
        EscrowParameters? escrow = null)
    {
        var chain = await EscrowChain.StartAsync(parameters: escrow);
        var extra = new Dictionary<string, string?>(extraSettings ?? new Dictionary<string, string?>());
        var proxy = throughProxy ? await RpcFaultProxy.StartAsync(chain.Anvil.RpcUrl) : null;
        if (proxy is not null)
        {
            extra["RPC_URL"] = proxy.Url.ToString();
        }
        var scenario = new SettlementScenario(chain, new ShiftedTime(), ApiHost.TempDataDir()) { _extra = extra, _services = services, Proxy = proxy };
        scenario.StartApi();
        scenario.HostToken = await scenario.Client.SignInAsync(Host);
        scenario.GuestToken = await scenario.Client.SignInAsync(Guest);
        var now = await chain.NowAsync();
        scenario.Booking = await chain.CreateBookingAsync(now + startsInSeconds, durationMins, graceMins, minOverlapMins);
        return scenario;
    }

    public void StartApi()
    {
        var settings = ApiHost.ChainSettings(Chain, DataDir);
        settings["SCHEDULER_INTERVAL_MS"] = "100";
        settings["WATCH_INTERVAL_SECONDS"] = "1";
        settings["SERVICE_TOKEN"] = "test-service-token-0123456789abcdef";
        settings["Logging:Console:TimestampFormat"] = "HH:mm:ss.fff ";
        settings["Logging:LogLevel:SessionVoice"] = "Debug";
        foreach (var (key, value) in _extra)
        {
            settings[key] = value;
        }
        Api = new ApiHost(settings, Time, _services);
        Client = Api.Client();
    }

    public async Task RestartApiAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        StartApi();
    }

    public long Start => Booking.StartTime;

    /// <summary>Moves both clocks to the start of a second, as a real clock passes through it.</summary>
    public Task AdvanceToAsync(long unixSeconds) => Time.AdvanceToAsync(Chain.Anvil, unixSeconds);

    /// <summary>
    /// Walks the clocks to <paramref name="unixSeconds"/> through every wake-up the service asks for on
    /// the way, as real time would: a jump over a wake-up is not something a running service sees.
    /// </summary>
    public async Task PlayUntilAsync(long unixSeconds)
    {
        for (var step = 0; step < 20; step++)
        {
            var decision = (await StatsAsync()).GetProperty("decision");
            var until = decision.GetProperty("kind").GetString() == "wait" ? decision.GetProperty("until").GetInt64() : long.MaxValue;
            if (until >= unixSeconds)
            {
                break;
            }
            // Not past the wake-up until the service has decided at it (a decision is counted once its time is read).
            var decided = Counters.Decisions;
            await AdvanceToAsync(until);
            await WaitUntilAsync(() => Counters.Decisions > decided, $"a decision at the wake-up {until}");
        }
        await AdvanceToAsync(unixSeconds);
    }

    private SettlementCounters Counters => Api.Services.GetRequiredService<SettlementCounters>();

    private static Task WaitUntilAsync(Func<bool> condition, string what) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(15), what);

    public async Task JoinAsync(string token)
    {
        var response = await Client.PostJsonAsync("/session/join", new { booking_id = Booking.Id.ToString() }, token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task LeaveAsync(string token)
    {
        var response = await Client.PostRawAsync($"/session/{Booking.Id}/leave", "", token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<HttpResponseMessage> AttestAsync(string? query = null, string? token = "test-service-token-0123456789abcdef", string? bookingId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/session/{bookingId ?? Booking.Id.ToString()}/attest{query}");
        if (token is not null)
        {
            request.Headers.Add("X-Service-Token", token);
        }
        return Client.SendAsync(request);
    }

    public Task<ulong> OracleNonceAsync() => Chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, Core.Ethereum.BlockTag.Latest);

    public async Task<JsonElement> StatsAsync() => await (await Client.GetAsync($"/session/{Booking.Id}/stats", HostToken)).JsonAsync();

    /// <summary>Waits (seconds, not minutes) until the chain shows the booking attested, and returns it.</summary>
    public async Task<Booking> WaitForAttestedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            var booking = await Chain.Escrow.GetBookingAsync(Booking.Id);
            if (booking is { Status: BookingStatus.Attested })
            {
                return booking;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"booking {Booking.Id} was not attested; stats: {await StatsAsync()}");
    }

    /// <summary>Checks the on-chain outcome and that the stats' preimage hashes to the on-chain metricsHash.</summary>
    public async Task AssertAttestedAsync(Outcome expected)
    {
        var onChain = await WaitForAttestedAsync();
        Assert.Equal(expected, onChain.OracleOutcome);
        JsonElement stats = default;
        for (var i = 0; i < 50; i++)
        {
            stats = await StatsAsync();
            if (stats.GetProperty("attestation").ValueKind == JsonValueKind.Object && stats.GetProperty("attestation").GetProperty("status").GetString() is "mined" or "final")
            {
                break;
            }
            await Task.Delay(100);
        }
        var attestation = stats.GetProperty("attestation");
        Assert.Contains(attestation.GetProperty("status").GetString(), (string[])["mined", "final"]);
        var metrics = stats.GetProperty("metrics");
        Assert.Equal(onChain.MetricsHash.ToString(), metrics.GetProperty("hash").GetString());
        Assert.Equal(onChain.MetricsHash, Keccak256.Hash(Hex.Decode(metrics.GetProperty("preimage").GetString()!)));
        var receipt = await Chain.Anvil.Eth.GetTransactionReceiptAsync(Hash32.Parse(attestation.GetProperty("tx_hash").GetString()!));
        Assert.True(receipt!.Succeeded);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Api.DisposeAsync();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }
        await Chain.DisposeAsync();
    }
}
