using SessionVoice.Core.Escrow;
using SessionVoice.Testing;
using SessionVoice.Testing.Daprd;

namespace SessionVoice.Api.Tests.Dapr;

/// <summary>
/// The service in Dapr mode as a cluster would run it: anvil with the escrow, the strict daprd double and two app
/// instances ("a" and "b"), each with its own sidecar, sharing one oracle key. The apps' clocks, the double's
/// scheduler clock and anvil's are one shifted clock, so a session plays out in seconds.
/// </summary>
public sealed class DaprCluster : IAsyncDisposable
{
    public const string ApiToken = "dapr-api-token-for-cluster-tests";
    public const string AppToken = "app-api-token-for-cluster-tests";
    public const string ServiceToken = "service-token-for-dapr-cluster-tests-0123456789";

    private readonly IDictionary<string, string?> _extra;
    private readonly Dictionary<string, ApiHost> _apps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    private readonly Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? _services;

    private DaprCluster(EscrowChain chain, DaprdDouble daprd, ShiftedTime time, RpcFaultProxy? proxy, IDictionary<string, string?> extra,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services)
    {
        _services = services;
        Chain = chain;
        Daprd = daprd;
        Time = time;
        Proxy = proxy;
        _extra = extra;
    }

    private bool _ownsChain;

    public EscrowChain Chain { get; }

    public DaprdDouble Daprd { get; }

    public ShiftedTime Time { get; }

    /// <summary>Between both apps and anvil when started with <c>throughProxy</c>.</summary>
    public RpcFaultProxy? Proxy { get; }

    public static readonly string[] Instances = ["a", "b"];

    public static async Task<DaprCluster> StartAsync(
        bool throughProxy = false, IDictionary<string, string?>? extraSettings = null, ResiliencySpec? resiliency = null, EscrowParameters? escrow = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null, EscrowChain? chainToUse = null)
    {
        var chain = chainToUse ?? await EscrowChain.StartAsync(parameters: escrow);
        var time = new ShiftedTime();
        var daprd = DaprdDouble.Start(resiliency, time);
        var proxy = throughProxy ? await RpcFaultProxy.StartAsync(chain.Anvil.RpcUrl) : null;
        var cluster = new DaprCluster(chain, daprd, time, proxy, new Dictionary<string, string?>(extraSettings ?? new Dictionary<string, string?>()), services);
        cluster._ownsChain = chainToUse is null;
        foreach (var name in Instances)
        {
            await daprd.AddSidecarAsync(name, ApiToken, AppToken);
            await cluster.StartAppAsync(name);
        }
        return cluster;
    }

    public ApiHost App(string name) => _apps[name];

    public HttpClient Client(string name) => _clients[name];

    public DaprdSidecar Sidecar(string name) => Daprd.Sidecar(name);

    /// <summary>Starts instance <paramref name="name"/> against its sidecar and lets the sidecar connect (reads /dapr/config, probes health).</summary>
    public async Task StartAppAsync(string name)
    {
        var sidecar = Daprd.Sidecar(name);
        var settings = ApiHost.ChainSettings(Chain, ApiHost.TempDataDir());
        settings["SessionVoice:Runtime"] = "Dapr";
        settings["SessionVoice:SecretStore"] = "";
        settings["DAPR_HTTP_ENDPOINT"] = sidecar.Endpoint;
        settings["DAPR_API_TOKEN"] = ApiToken;
        settings["APP_API_TOKEN"] = AppToken;
        settings["SERVICE_TOKEN"] = ServiceToken;
        settings["Logging:LogLevel:SessionVoice"] = "Debug";
        if (Proxy is not null)
        {
            settings["RPC_URL"] = Proxy.Url.ToString();
        }
        foreach (var (key, value) in _extra)
        {
            settings[key] = value;
        }
        var app = new ApiHost(settings, Time, _services);
        var client = app.Client();
        _apps[name] = app;
        _clients[name] = client;
        await sidecar.ConnectAppAsync(client.BaseAddress!);
        // The app answers 503 "starting" until it has read the chain; daprd places no actor on it before it is healthy.
        await DaprdDouble.WaitUntilAsync(() => sidecar.AppHealthy, TimeSpan.FromSeconds(30), $"instance {name} healthy to its sidecar");
    }

    /// <summary>Stops instance <paramref name="name"/> (its sidecar stays: daprd takes it out of placement once its health checks fail).</summary>
    public async Task StopAppAsync(string name)
    {
        _clients.Remove(name, out var client);
        client?.Dispose();
        if (_apps.Remove(name, out var app))
        {
            await app.DisposeAsync();
        }
    }

    public Task AdvanceToAsync(long unixSeconds) => Time.AdvanceToAsync(Chain.Anvil, unixSeconds);

    /// <summary>
    /// Moves the clocks to <paramref name="unixSeconds"/> through every booking reminder due on the way, as real time
    /// would, waiting at each for the scheduler to deliver it (a jump over a wake-up is not something a cluster sees).
    /// </summary>
    public async Task PlayRemindersUntilAsync(long unixSeconds)
    {
        for (var step = 0; step < 50; step++)
        {
            await DaprdDouble.WaitUntilAsync(
                () => Daprd.Reminders.All(r => r.DueAt > Time.GetUtcNow()), TimeSpan.FromSeconds(30), "every due reminder delivered");
            var next = Daprd.Reminders.Where(r => r.ActorType == "BookingActor").Select(r => (DateTimeOffset?)r.DueAt).Min();
            if (next is not { } due || due.ToUnixTimeSeconds() >= unixSeconds)
            {
                break;
            }
            await AdvanceToAsync(Math.Max(due.ToUnixTimeSeconds(), Time.GetUtcNow().ToUnixTimeSeconds() + 1));
        }
        await AdvanceToAsync(unixSeconds);
    }

    public Task<ulong> OracleNonceAsync() => Chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, Core.Ethereum.BlockTag.Latest);

    /// <summary>Waits until the chain shows every one of <paramref name="bookings"/> attested.</summary>
    public async Task WaitForAttestedAsync(IEnumerable<TestBooking> bookings, TimeSpan timeout)
    {
        BookingId[] ids = [.. bookings.Select(b => b.Id)];
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // One batched read of all of them per poll.
            var pending = (await Chain.Escrow.GetBookingsAsync(ids)).Zip(ids).Where(p => p.First is not { Status: BookingStatus.Attested }).Select(p => p.Second).ToList();
            if (pending.Count == 0)
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{pending.Count} bookings not attested within {timeout.TotalSeconds:0} s, e.g. {pending[0]}; reminders: {Daprd.Reminders.Count}");
            }
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _apps.Keys.ToList())
        {
            await StopAppAsync(name);
        }
        await Daprd.DisposeAsync();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }
        if (_ownsChain)
        {
            await Chain.DisposeAsync();
        }
    }
}
