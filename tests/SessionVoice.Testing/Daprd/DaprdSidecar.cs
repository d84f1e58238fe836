using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace SessionVoice.Testing.Daprd;

/// <summary>
/// One app instance's daprd: the HTTP API its Dapr SDK calls (actors, state, reminders, health), and the
/// app channel back to it (actor calls, reminders, cron, health probes) with the app token.
/// </summary>
public sealed class DaprdSidecar : IAsyncDisposable
{
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Expect", "Upgrade", "dapr-api-token",
    };

    private readonly DaprdDouble _cluster;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private WebApplication? _server;
    private volatile bool _healthy;
    private volatile bool _down;
    private volatile int _probeFailures;
    private HashSet<string> _types = [];

    internal DaprdSidecar(DaprdDouble cluster, string name, string? apiToken, string? appToken)
    {
        _cluster = cluster;
        Name = name;
        ApiToken = apiToken;
        AppToken = appToken;
    }

    public string Name { get; }

    /// <summary>What the app must send in <c>dapr-api-token</c> (its DAPR_API_TOKEN); null: no token needed.</summary>
    public string? ApiToken { get; }

    /// <summary>What this sidecar sends the app in <c>dapr-api-token</c> (its APP_API_TOKEN).</summary>
    public string? AppToken { get; }

    /// <summary>The app's DAPR_HTTP_ENDPOINT.</summary>
    public string Endpoint { get; private set; } = "";

    public Uri? App { get; private set; }

    public string HealthPath { get; private set; } = "/health";

    /// <summary>The actor types the app listed in GET /dapr/config.</summary>
    public IReadOnlySet<string> ActorTypes => _types;

    /// <summary>The app's health check passes (after <see cref="DaprdDouble.HealthThreshold"/> failures in a row it does not).</summary>
    public bool AppHealthy => _healthy;

    /// <summary>Taken out of placement by the test (<see cref="DaprdDouble.SetDown"/>).</summary>
    public bool Down
    {
        get => _down;
        internal set => _down = value;
    }

    internal bool InPlacement => _healthy && !_down && App is not null;

    internal bool Hosts(string type) => _types.Contains(type);

    /// <summary>Every request the app made to this sidecar ("GET state T/id/key", "upsert state T/id/key", "PUT reminder T/id/name {body}", "invoke T/id/method") and what it was answered.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    internal async Task ListenAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        Endpoint = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _server = app;
    }

    /// <summary>
    /// What daprd does once the app listens: reads GET /dapr/config (a non-200 answer means no actor types, silently),
    /// probes the app's health and starts its cron binding when the cluster has a tick interval.
    /// </summary>
    public async Task ConnectAppAsync(Uri app, string healthPath = "/health")
    {
        App = app;
        HealthPath = healthPath;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(app, "/dapr/config"));
        AddAppToken(request);
        using var response = await _cluster.AppClient.SendAsync(request, _stopping.Token);
        var types = new HashSet<string>(StringComparer.Ordinal);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(_stopping.Token));
            if (doc.RootElement.TryGetProperty("entities", out var entities) && entities.ValueKind == JsonValueKind.Array)
            {
                foreach (var e in entities.EnumerateArray())
                {
                    types.Add(e.GetString() ?? "");
                }
            }
        }
        _types = types;
        _healthy = await ProbeAsync();
        _loops.Add(Task.Run(HealthLoopAsync));
        if (_cluster.CronInterval is { } interval)
        {
            _loops.Add(Task.Run(() => CronLoopAsync(interval)));
        }
    }

    private void AddAppToken(HttpRequestMessage request)
    {
        if (AppToken is not null)
        {
            request.Headers.TryAddWithoutValidation("dapr-api-token", AppToken);
        }
    }

    // ---- health ----

    private async Task<bool> ProbeAsync()
    {
        try
        {
            // daprd's probe carries no token.
            using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(probe.Token, _stopping.Token);
            using var response = await _cluster.AppClient.GetAsync(new Uri(App!, HealthPath), linked.Token);
            return (int)response.StatusCode is >= 200 and < 300;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task HealthLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_cluster.HealthProbeInterval, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var ok = await ProbeAsync();
            var was = _healthy;
            if (ok)
            {
                _probeFailures = 0;
                _healthy = true;
            }
            else if (++_probeFailures >= _cluster.HealthThreshold)
            {
                _healthy = false;
            }
            if (was != _healthy)
            {
                _cluster.PlacementChanged(this);
            }
        }
    }

    // ---- cron ----

    private async Task CronLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                // No skip-if-still-running: every tick is its own call.
                _ = Task.Run(CronTickAsync);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>One tick of the cron binding: POST /{component} on this app, empty body, with the app token. 0: not delivered.</summary>
    internal async Task<DaprdCronTick> CronTickAsync()
    {
        var start = DateTimeOffset.UtcNow;
        var status = 0;
        if (App is not null && _healthy)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(App, "/" + _cluster.CronComponent)) { Content = new ByteArrayContent([]) };
                AddAppToken(request);
                using var response = await _cluster.AppClient.SendAsync(request, _stopping.Token);
                status = (int)response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                status = 0;
            }
        }
        var tick = new DaprdCronTick(Name, start, DateTimeOffset.UtcNow, status);
        _cluster.RecordCron(tick);
        return tick;
    }

    // ---- the app channel ----

    internal async Task<DaprdDouble.AppAnswer> SendToAppAsync(DaprdDouble.AppCall call, CancellationToken attempt, CancellationToken caller)
    {
        if (!_healthy || App is null)
        {
            return DaprdDouble.AppAnswer.Error(DaprdDouble.AnswerKind.Unreachable, $"app {Name} is not healthy");
        }
        using var request = new HttpRequestMessage(call.Method, new Uri(App, call.AppPath)) { Content = new ByteArrayContent(call.Body) };
        foreach (var (key, values) in call.Headers)
        {
            if (!NotForwarded.Contains(key) && !request.Headers.TryAddWithoutValidation(key, values))
            {
                request.Content.Headers.TryAddWithoutValidation(key, values);
            }
        }
        if (call.ContentType is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(call.ContentType);
        }
        AddAppToken(request);
        try
        {
            using var response = await _cluster.AppClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, attempt);
            var body = await response.Content.ReadAsByteArrayAsync(attempt);
            var headers = response.Headers.Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value])).ToList();
            var status = (int)response.StatusCode;
            var kind = status switch
            {
                200 when response.Headers.Contains(DaprdDouble.ErrorHeader) => DaprdDouble.AnswerKind.ActorError,
                200 => DaprdDouble.AnswerKind.Ok,
                404 => DaprdDouble.AnswerKind.Permanent,
                _ => DaprdDouble.AnswerKind.AppError,
            };
            return new DaprdDouble.AppAnswer(kind, status, body, headers, response.Content.Headers.ContentType?.ToString(), $"app answered {status}");
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return DaprdDouble.AppAnswer.Error(DaprdDouble.AnswerKind.Timeout, $"{call.Type}/{call.Id} {call.Name}: context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            return DaprdDouble.AppAnswer.Error(DaprdDouble.AnswerKind.Unreachable, $"app {Name} unreachable: {e.Message}");
        }
    }

    internal void DeactivateInBackground(string type, string id) => _ = Task.Run(async () =>
    {
        if (App is null)
        {
            return;
        }
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(App, $"/actors/{Uri.EscapeDataString(type)}/{Uri.EscapeDataString(id)}"));
            AddAppToken(request);
            using var response = await _cluster.AppClient.SendAsync(request, _stopping.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // Best effort, as daprd's.
        }
    });

    // ---- the daprd HTTP API ----

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (HttpMethods.IsGet(request.Method) && path is "/v1.0/healthz" or "/v1.0/healthz/outbound")
        {
            context.Response.StatusCode = 204;
            return;
        }
        if (ApiToken is not null && !string.Equals(request.Headers["dapr-api-token"].ToString(), ApiToken, StringComparison.Ordinal))
        {
            Calls.Enqueue($"401 {request.Method} {path}");
            await ErrorAsync(context, 401, "ERR_UNAUTHORIZED", "invalid api token");
            return;
        }
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        if (parts.Length >= 5 && parts[0] == "v1.0" && parts[1] == "actors")
        {
            var (type, id, what) = (parts[2], parts[3], parts[4]);
            var method = request.Method;
            switch (what)
            {
                case "method" when parts.Length >= 6 && (HttpMethods.IsPut(method) || HttpMethods.IsPost(method)):
                    await InvokeAsync(context, type, id, string.Join('/', parts[5..]));
                    return;
                case "state" when parts.Length == 6 && HttpMethods.IsGet(method):
                    await GetStateAsync(context, type, id, parts[5]);
                    return;
                case "state" when parts.Length == 5 && (HttpMethods.IsPut(method) || HttpMethods.IsPost(method)):
                    await TransactionAsync(context, type, id);
                    return;
                case "reminders" when parts.Length == 6:
                    await ReminderAsync(context, type, id, parts[5]);
                    return;
                case "timers" when parts.Length == 6:
                    // The app uses no timers: a call here would be news, so it fails loudly.
                    Calls.Enqueue($"{method} timer {type}/{id}/{parts[5]}");
                    await ErrorAsync(context, 501, "ERR_NOT_IMPLEMENTED", "timers are not modelled by the test double");
                    return;
            }
        }
        Calls.Enqueue($"404 {request.Method} {path}");
        await ErrorAsync(context, 404, "ERR_NOT_FOUND", $"no route {request.Method} {path}");
    }

    private static async Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["errorCode"] = code, ["message"] = message }));
    }

    private static async Task<byte[]> BodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private async Task InvokeAsync(HttpContext context, string type, string id, string method)
    {
        Calls.Enqueue($"invoke {type}/{id}/{method}");
        var request = context.Request;
        var headers = request.Headers.Where(h => !NotForwarded.Contains(h.Key) && !h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value.Where(v => v is not null).Select(v => v!)])).ToList();
        var call = new DaprdDouble.AppCall(type, id, "method", method, HttpMethod.Put,
            $"/actors/{Uri.EscapeDataString(type)}/{Uri.EscapeDataString(id)}/method/{Uri.EscapeDataString(method)}",
            await BodyAsync(request), request.ContentType, headers);
        var answer = await _cluster.CallActorAsync(call, context.RequestAborted);
        if (answer.Kind is DaprdDouble.AnswerKind.Ok or DaprdDouble.AnswerKind.ActorError)
        {
            // An actor exception goes back as the app wrote it: 200, the error header and the serialized exception.
            context.Response.StatusCode = answer.Status;
            foreach (var (key, values) in answer.Headers.Where(h => h.Key.StartsWith("X-Dapr", StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.Headers[key] = values;
            }
            if (answer.ContentType is not null)
            {
                context.Response.ContentType = answer.ContentType;
            }
            await context.Response.Body.WriteAsync(answer.Body);
            return;
        }
        Calls.Enqueue($"failed {type}/{id}/{method}: {answer.Message}");
        await ErrorAsync(context, 500, "ERR_ACTOR_INVOKE_METHOD", "error invoke actor method: " + answer.Message);
    }

    private async Task GetStateAsync(HttpContext context, string type, string id, string key)
    {
        Calls.Enqueue($"GET state {type}/{id}/{key}");
        if (_cluster.ReadState(type, id, key) is not { } value)
        {
            context.Response.StatusCode = 204;
            return;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(value);
    }

    private async Task TransactionAsync(HttpContext context, string type, string id)
    {
        var ops = new List<DaprdDouble.StateOp>();
        try
        {
            using var doc = JsonDocument.Parse(await BodyAsync(context.Request));
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("the body must be an array of operations");
            }
            foreach (var op in doc.RootElement.EnumerateArray())
            {
                var operation = op.GetProperty("operation").GetString();
                var req = op.GetProperty("request");
                var key = req.GetProperty("key").GetString() ?? throw new FormatException("key is null");
                switch (operation)
                {
                    case "upsert":
                        TimeSpan? ttl = null;
                        if (req.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("ttlInSeconds", out var t))
                        {
                            var seconds = long.Parse(t.GetString() ?? "", System.Globalization.CultureInfo.InvariantCulture);
                            ttl = seconds < 0 ? null : TimeSpan.FromSeconds(seconds);
                        }
                        ops.Add(new DaprdDouble.StateOp(true, key, req.GetProperty("value").GetRawText(), ttl));
                        break;
                    case "delete":
                        ops.Add(new DaprdDouble.StateOp(false, key, null, null));
                        break;
                    default:
                        throw new FormatException($"operation {operation} is not upsert or delete");
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            Calls.Enqueue($"bad state transaction {type}/{id}: {e.Message}");
            await ErrorAsync(context, 400, "ERR_MALFORMED_REQUEST", e.Message);
            return;
        }
        if (!_cluster.IsActiveOn(type, id, this))
        {
            Calls.Enqueue($"refused state transaction {type}/{id}");
            await ErrorAsync(context, 500, "ERR_ACTOR_STATE_TRANSACTION_SAVE", $"error saving actor transaction state: actor instance is missing: {type}/{id}");
            return;
        }
        _cluster.ApplyTransaction(type, id, ops);
        foreach (var op in ops)
        {
            Calls.Enqueue($"{(op.Upsert ? "upsert" : "delete")} state {type}/{id}/{op.Key}");
        }
        context.Response.StatusCode = 204;
    }

    private async Task ReminderAsync(HttpContext context, string type, string id, string name)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsDelete(method))
        {
            Calls.Enqueue($"DELETE reminder {type}/{id}/{name}");
            _cluster.UnregisterReminder(type, id, name);
            context.Response.StatusCode = 204;
            return;
        }
        if (HttpMethods.IsGet(method))
        {
            Calls.Enqueue($"GET reminder {type}/{id}/{name}");
            if (_cluster.GetReminder(type, id, name) is not { } r)
            {
                await ErrorAsync(context, 404, "ERR_ACTOR_REMINDER_GET", "reminder not found");
                return;
            }
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string?>
            {
                ["dueTime"] = r.DueAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["period"] = r.Period?.ToString(),
            }));
            return;
        }
        if (!HttpMethods.IsPut(method) && !HttpMethods.IsPost(method))
        {
            await ErrorAsync(context, 405, "ERR_METHOD", method);
            return;
        }
        var text = Encoding.UTF8.GetString(await BodyAsync(context.Request));
        Calls.Enqueue($"{method} reminder {type}/{id}/{name} {text}");
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            var due = root.TryGetProperty("dueTime", out var d) && d.GetString() is { Length: > 0 } dueText ? GoDuration.Parse(dueText) : TimeSpan.Zero;
            TimeSpan? period = root.TryGetProperty("period", out var p) && p.GetString() is { Length: > 0 } periodText ? GoDuration.Parse(periodText) : null;
            TimeSpan? ttl = root.TryGetProperty("ttl", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } ttlText ? GoDuration.Parse(ttlText) : null;
            string? data = root.TryGetProperty("data", out var dataElement) && dataElement.ValueKind != JsonValueKind.Null ? dataElement.GetRawText() : null;
            if (due < TimeSpan.Zero || period <= TimeSpan.Zero)
            {
                throw new FormatException("dueTime must not be negative, period must be positive");
            }
            _cluster.RegisterReminder(type, id, name, due, period, data, ttl);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            await ErrorAsync(context, 400, "ERR_MALFORMED_REQUEST", e.Message);
            return;
        }
        context.Response.StatusCode = 204;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        if (_server is { } server)
        {
            using var now = new CancellationTokenSource();
            await now.CancelAsync();
            try
            {
                await server.StopAsync(now.Token);
            }
            catch (OperationCanceledException)
            {
                // no grace period
            }
            await server.DisposeAsync();
        }
        _stopping.Dispose();
    }
}
