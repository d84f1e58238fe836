using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using SessionVoice.Testing.Daprd;

namespace SessionVoice.Api.Tests.Daprd;

/// <summary>
/// A tiny actor app speaking daprd's app channel by hand, so the tests can see what the double does: how many
/// turns of an actor run at once, what arrives, when its health fails.
/// </summary>
public sealed class ProbeApp : IAsyncDisposable
{
    public const string AppToken = "probe-app-token";
    public const string ApiToken = "probe-api-token";

    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private static readonly HttpClient Client = new();
    private WebApplication? _app;
    private int _maxConcurrent;
    private int _entered;

    public required DaprdSidecar Sidecar { get; init; }

    public Uri Address { get; private set; } = null!;

    /// <summary>"hold" calls wait here until the test completes it.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private volatile bool _unhealthy;

    public bool Unhealthy { get => _unhealthy; set => _unhealthy = value; }

    public int ReminderStatus { get; set; } = 200;

    public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

    public int Entered => Volatile.Read(ref _entered);

    public ConcurrentQueue<string> Received { get; } = new();

    public ConcurrentQueue<string> ReminderBodies { get; } = new();

    private int _sweepCalls;

    public int SweepCalls => Volatile.Read(ref _sweepCalls);

    public static async Task<(DaprdDouble Cluster, ProbeApp A, ProbeApp B)> StartPairAsync(string resiliencyYaml = "", TimeProvider? time = null)
    {
        var cluster = DaprdDouble.Start(ResiliencySpec.Parse(resiliencyYaml), time, cronComponent: "attest-sweep");
        var a = await StartAsync(cluster, "a");
        var b = await StartAsync(cluster, "b");
        return (cluster, a, b);
    }

    public static async Task<ProbeApp> StartAsync(DaprdDouble cluster, string name)
    {
        var probe = new ProbeApp { Sidecar = await cluster.AddSidecarAsync(name, ApiToken, AppToken) };
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.Run(probe.HandleAsync);
        await app.StartAsync();
        probe._app = app;
        probe.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        await probe.Sidecar.ConnectAppAsync(probe.Address, "/health");
        return probe;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path == "/health")
        {
            context.Response.StatusCode = Unhealthy ? 503 : 200;
            return;
        }
        if (context.Request.Headers["dapr-api-token"] != AppToken)
        {
            context.Response.StatusCode = 401;
            return;
        }
        if (path == "/dapr/config")
        {
            await context.Response.WriteAsync("""{"entities":["Probe","Slow"],"reentrancy":{"enabled":false}}""");
            return;
        }
        if (path == "/attest-sweep")
        {
            Interlocked.Increment(ref _sweepCalls);
            return;
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 5 || parts[0] != "actors")
        {
            context.Response.StatusCode = 404;
            return;
        }
        var (type, id, method) = (parts[1], parts[2], parts[4]);
        var key = type + "/" + id;
        var now = _inFlight.AddOrUpdate(key, 1, (_, n) => n + 1);
        InterlockedMax(ref _maxConcurrent, now);
        Interlocked.Increment(ref _entered);
        Received.Enqueue($"{method} {key} ct={context.Request.ContentType} x-probe={context.Request.Headers["X-Probe"]}");
        try
        {
            switch (method)
            {
                case "hold":
                    await Release.Task;
                    await context.Response.WriteAsync("\"held\"");
                    break;
                case "fail":
                    context.Response.StatusCode = 500;
                    break;
                case "missing":
                    context.Response.StatusCode = 404;
                    break;
                case "throw":
                    context.Response.Headers["X-DaprErrorResponseHeader"] = "true";
                    await context.Response.WriteAsync("{\"message\":\"boom\"}");
                    break;
                case "save":
                    var status = await SaveAsync(type, id, "k", "\"v\"");
                    await context.Response.WriteAsync(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "remind":
                    using (var reader = new StreamReader(context.Request.Body))
                    {
                        ReminderBodies.Enqueue(await reader.ReadToEndAsync());
                    }
                    context.Response.StatusCode = ReminderStatus;
                    break;
                default:
                    await context.Response.WriteAsync("\"ok\"");
                    break;
            }
        }
        finally
        {
            _inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
        }
    }

    /// <summary>A state transaction through this app's own sidecar, as the SDK sends it.</summary>
    public async Task<HttpStatusCode> SaveAsync(string type, string id, string key, string json, int? ttlSeconds = null)
    {
        var metadata = ttlSeconds is { } ttl ? $$""","metadata":{"ttlInSeconds":"{{ttl}}"}""" : "";
        var body = "[{\"operation\":\"upsert\",\"request\":{\"key\":\"" + key + "\",\"value\":" + json + metadata + "}}]";
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(new Uri(Sidecar.Endpoint), $"/v1.0/actors/{type}/{id}/state"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("dapr-api-token", ApiToken);
        using var response = await Client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Any daprd API call from this app, with its API token unless told otherwise.</summary>
    public async Task<HttpResponseMessage> CallSidecarAsync(HttpMethod method, string path, string? body = null, string? token = ApiToken, IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(Sidecar.Endpoint), path));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (token is not null)
        {
            request.Headers.Add("dapr-api-token", token);
        }
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(k, v);
        }
        return await Client.SendAsync(request);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release.TrySetResult();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
