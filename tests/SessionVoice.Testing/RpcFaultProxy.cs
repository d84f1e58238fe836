using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace SessionVoice.Testing;

/// <summary>The faults <see cref="RpcFaultProxy"/> can inject.</summary>
public enum RpcFault
{
    /// <summary>Nothing listens on the port; live connections are dropped.</summary>
    Refuse,

    /// <summary>The request is read and never answered.</summary>
    BlackHole,

    /// <summary>The request is forwarded at once, its answer held back.</summary>
    Delay,

    /// <summary>A JSON-RPC error object instead of forwarding.</summary>
    Error,

    /// <summary>HTTP 429 with Retry-After instead of forwarding.</summary>
    RateLimit,

    /// <summary>Forwarded (so it takes effect on the node), then the connection is dropped unanswered.</summary>
    LoseAnswer,
}

/// <summary>One JSON-RPC request that met a fault (a batch of three met by one fault gives three events).</summary>
public sealed record RpcFaultEvent(DateTimeOffset At, RpcFault Kind, string Method, string Detail);

/// <summary>
/// A real HTTP server on 127.0.0.1 that forwards JSON-RPC posts to an upstream node and injects faults switched
/// at run time. Because it is a socket, not a <see cref="DelegatingHandler"/>, it sits between the node and any
/// client — the service in-process or a separate service process pointed at <see cref="Url"/> — and the client
/// meets the faults as it would meet them from a real node: refused and reset connections, silence, slowness,
/// JSON-RPC errors, 429s and answers lost after the node acted. Every fault can be set and healed from any thread,
/// optionally for a duration; <see cref="Forwarded"/>, <see cref="Faulted"/> and <see cref="Events"/> say what
/// happened so a test can assert it.
/// </summary>
public sealed class RpcFaultProxy : IAsyncDisposable
{
    private const string Json = "application/json";

    private readonly object _lock = new();
    private readonly SemaphoreSlim _serverGate = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<HttpContext, string[]> _inFlight = new();

    // Fault state, all under _lock. A rule with Remaining null applies until healed; Until is a Stopwatch timestamp.
    private readonly Dictionary<string, ErrorRule> _errors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CountedRule> _losses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _forwarded = new(StringComparer.Ordinal);
    private readonly List<RpcFaultEvent> _events = [];
    private long? _blackHoleUntil;
    private (TimeSpan Delay, long? Until)? _delay;
    private (TimeSpan RetryAfter, HashSet<string>? Methods, long? Until)? _rateLimit;

    private WebApplication? _server;
    private long _refuseGeneration;

    private RpcFaultProxy(Uri upstream) => Upstream = upstream;

    /// <summary>The node the proxy forwards to.</summary>
    public Uri Upstream { get; }

    /// <summary>The proxy's port on 127.0.0.1; it stays the same across <see cref="RefuseAsync"/> and healing.</summary>
    public int Port { get; private set; }

    /// <summary>Where clients should send JSON-RPC (their RPC_URL).</summary>
    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>True while a listener is bound (false while refusing).</summary>
    public bool IsListening => Volatile.Read(ref _server) is not null;

    /// <summary>All faulted JSON-RPC requests so far, oldest first.</summary>
    public IReadOnlyList<RpcFaultEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Starts a proxy to <paramref name="upstream"/> on a free loopback port, without faults.</summary>
    public static async Task<RpcFaultProxy> StartAsync(Uri upstream)
    {
        var proxy = new RpcFaultProxy(upstream);
        await proxy.ListenAsync(port: 0);
        return proxy;
    }

    /// <summary>How many JSON-RPC requests of <paramref name="method"/> reached the node (batch elements count one each).</summary>
    public long Forwarded(string method)
    {
        lock (_lock)
        {
            return _forwarded.GetValueOrDefault(method);
        }
    }

    /// <summary>How many JSON-RPC requests met <paramref name="kind"/>; optionally only those of <paramref name="method"/>.</summary>
    public long Faulted(RpcFault kind, string? method = null)
    {
        lock (_lock)
        {
            return _events.Count(e => e.Kind == kind && (method is null || e.Method == method));
        }
    }

    /// <summary>
    /// Stops listening, so new connections are refused, and drops live ones (keep-alive and in-flight requests), so
    /// a client fails at once rather than waiting. <see cref="HealAsync"/> (or the end of <paramref name="duration"/>)
    /// binds the same port again.
    /// </summary>
    public async Task RefuseAsync(TimeSpan? duration = null)
    {
        long generation;
        await _serverGate.WaitAsync();
        try
        {
            generation = Interlocked.Increment(ref _refuseGeneration);
            if (_server is { } server)
            {
                Volatile.Write(ref _server, null);
                foreach (var (context, methods) in _inFlight)
                {
                    Record(RpcFault.Refuse, methods, "dropped in flight");
                    context.Abort();
                }
                await StopAsync(server);
            }
        }
        finally
        {
            _serverGate.Release();
        }
        if (duration is { } d)
        {
            _ = HealRefuseLaterAsync(d, generation);
        }
    }

    /// <summary>Accepts and reads every post, never answers it. Healing does not answer the ones already held.</summary>
    public void BlackHole(TimeSpan? duration = null)
    {
        lock (_lock)
        {
            _blackHoleUntil = UntilOrForever(duration);
        }
    }

    /// <summary>Forwards every post at once and answers it <paramref name="delay"/> after the node did.</summary>
    public void Delay(TimeSpan delay, TimeSpan? duration = null)
    {
        lock (_lock)
        {
            _delay = (delay, Until(duration));
        }
    }

    /// <summary>
    /// Answers requests of <paramref name="method"/> with the JSON-RPC error {code, message} instead of forwarding
    /// them, the next <paramref name="times"/> times (always when null). In a batch only the matching elements get
    /// the error; the others are forwarded together. Setting a method again replaces its rule.
    /// </summary>
    public void Fail(string method, long code, string message, int? times = null, TimeSpan? duration = null)
    {
        lock (_lock)
        {
            _errors[method] = new ErrorRule(code, message, times, Until(duration));
        }
    }

    /// <summary>
    /// Answers HTTP 429 with Retry-After (whole seconds, rounded up) and a plain-text body, as rate-limiting gateways
    /// do, to every post, or only to posts holding one of <paramref name="methods"/>. Nothing is forwarded.
    /// </summary>
    public void RateLimit(TimeSpan retryAfter, IEnumerable<string>? methods = null, TimeSpan? duration = null)
    {
        lock (_lock)
        {
            _rateLimit = (retryAfter, methods is null ? null : new HashSet<string>(methods, StringComparer.Ordinal), Until(duration));
        }
    }

    /// <summary>
    /// Forwards posts holding <paramref name="method"/> (so the node acts, e.g. a transaction enters the pool), then
    /// drops the connection without sending a byte of the answer, the next <paramref name="times"/> times (always
    /// when null). In a batch, one matching element loses the answer to the whole post.
    /// </summary>
    public void LoseAnswer(string method, int? times = null, TimeSpan? duration = null)
    {
        lock (_lock)
        {
            _losses[method] = new CountedRule(times, Until(duration));
        }
    }

    /// <summary>Heals one fault kind (every method's rule of it). Healing <see cref="RpcFault.Refuse"/> re-binds the port.</summary>
    public async Task HealAsync(RpcFault kind)
    {
        if (kind == RpcFault.Refuse)
        {
            await _serverGate.WaitAsync();
            try
            {
                Interlocked.Increment(ref _refuseGeneration);
                if (_server is null && !_disposing.IsCancellationRequested)
                {
                    await ListenAsync(Port);
                }
            }
            finally
            {
                _serverGate.Release();
            }
            return;
        }
        lock (_lock)
        {
            switch (kind)
            {
                case RpcFault.BlackHole: _blackHoleUntil = null; break;
                case RpcFault.Delay: _delay = null; break;
                case RpcFault.Error: _errors.Clear(); break;
                case RpcFault.RateLimit: _rateLimit = null; break;
                case RpcFault.LoseAnswer: _losses.Clear(); break;
                default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
            }
        }
    }

    /// <summary>Heals every fault.</summary>
    public async Task HealAllAsync()
    {
        foreach (var kind in Enum.GetValues<RpcFault>())
        {
            await HealAsync(kind);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync();
        await _serverGate.WaitAsync();
        try
        {
            if (_server is { } server)
            {
                _server = null;
                await StopAsync(server);
            }
        }
        finally
        {
            _serverGate.Release();
        }
        _upstream.Dispose();
        _disposing.Dispose();
    }

    // Called under _serverGate. A stopped WebApplication cannot start again, so every bind builds a new one; the
    // empty builder reads no configuration, environment or appsettings, so nothing outside can move the port.
    private async Task ListenAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1));
            var app = builder.Build();
            app.Run(HandleAsync);
            try
            {
                await app.StartAsync();
            }
            catch (IOException) when (attempt < 20 && port != 0)
            {
                // The old listener's socket may not be released yet.
                await app.DisposeAsync();
                await Task.Delay(50);
                continue;
            }
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            Port = new Uri(address).Port;
            Volatile.Write(ref _server, app);
            return;
        }
    }

    // An already cancelled token: Kestrel unbinds, closes idle connections and aborts the rest without waiting.
    private static async Task StopAsync(WebApplication server)
    {
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        try
        {
            await server.StopAsync(now.Token);
        }
        catch (OperationCanceledException)
        {
            // Expected: we asked for no grace period.
        }
        await server.DisposeAsync();
    }

    private async Task HealRefuseLaterAsync(TimeSpan duration, long generation)
    {
        try
        {
            await Task.Delay(duration, _disposing.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await _serverGate.WaitAsync();
        try
        {
            // Only heal the refusal this timer belongs to, not a later one.
            if (Interlocked.Read(ref _refuseGeneration) == generation && _server is null && !_disposing.IsCancellationRequested)
            {
                await ListenAsync(Port);
            }
        }
        finally
        {
            _serverGate.Release();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        _inFlight[context] = [];
        try
        {
            await HandleCoreAsync(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested || _disposing.IsCancellationRequested)
        {
            // The client gave up, or we dropped the connection on purpose (refuse, lose answer, dispose).
            context.Abort();
        }
        finally
        {
            _inFlight.TryRemove(context, out _);
        }
    }

    private async Task HandleCoreAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var request = ParsedRequest.Parse(body);
        _inFlight[context] = request.Methods;

        var plan = Decide(request);
        if (plan.BlackHole)
        {
            // Only the client giving up (or the proxy going away) ends this; healing does not.
            using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _disposing.Token);
            await Task.Delay(Timeout.Infinite, either.Token);
            return;
        }
        if (plan.RetryAfter is { } retryAfter)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("Too Many Requests", context.RequestAborted);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        int status;
        byte[] answer;
        try
        {
            (status, answer) = await ForwardAsync(body, request, plan.Errors);
        }
        catch (HttpRequestException e)
        {
            // The node itself is unreachable: say so the way a gateway would.
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("upstream: " + e.Message, context.RequestAborted);
            return;
        }
        if (plan.LoseAnswer)
        {
            // Not a byte of the answer: the connection is reset as if the network or a load balancer had dropped it.
            context.Abort();
            return;
        }
        if (plan.Delay is { } delay && delay - Stopwatch.GetElapsedTime(started) is { } rest && rest > TimeSpan.Zero)
        {
            // Timers count whole milliseconds and may fire up to one early: round up and add one.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(rest.TotalMilliseconds) + 1), context.RequestAborted);
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = Json;
        await context.Response.Body.WriteAsync(answer, context.RequestAborted);
    }

    /// <summary>Takes the faults for one post (consuming counted rules) and records them, all in one lock.</summary>
    private Plan Decide(ParsedRequest request)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (_blackHoleUntil is { } until && now < until)
            {
                Record(RpcFault.BlackHole, request.Methods, "held unanswered");
                return new Plan { BlackHole = true };
            }
            if (_rateLimit is { } limit && Active(limit.Until, now) && (limit.Methods is null || request.Methods.Any(limit.Methods.Contains)))
            {
                Record(RpcFault.RateLimit, request.Methods, "HTTP 429");
                return new Plan { RetryAfter = limit.RetryAfter };
            }
            var errors = new (long Code, string Message)?[request.Methods.Length];
            var lose = false;
            for (var i = 0; i < request.Methods.Length; i++)
            {
                var method = request.Methods[i];
                if (Take(_errors, method, now) is { } error)
                {
                    errors[i] = (error.Code, error.Message);
                    Record(RpcFault.Error, [method], $"{error.Code.ToString(CultureInfo.InvariantCulture)} {error.Message}");
                }
            }
            for (var i = 0; i < request.Methods.Length; i++)
            {
                if (errors[i] is null && Take(_losses, request.Methods[i], now) is not null)
                {
                    lose = true;
                    Record(RpcFault.LoseAnswer, [request.Methods[i]], "forwarded, connection dropped");
                }
            }
            TimeSpan? delay = null;
            if (!lose && _delay is { } d && Active(d.Until, now))
            {
                delay = d.Delay;
                Record(RpcFault.Delay, request.Methods, $"answered after {d.Delay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms");
            }
            return new Plan { Errors = errors, LoseAnswer = lose, Delay = delay };
        }
    }

    /// <summary>Sends what is left after the injected errors to the node and merges the answers in request order.</summary>
    private async Task<(int Status, byte[] Body)> ForwardAsync(byte[] body, ParsedRequest request, (long Code, string Message)?[] errors)
    {
        if (request.Elements is not { } elements || errors.All(e => e is null))
        {
            return await PostUpstreamAsync(body, request.Methods);
        }
        var errorAnswer = (int i) => new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = elements[i]?["id"]?.DeepClone(),
            ["error"] = new JsonObject { ["code"] = errors[i]!.Value.Code, ["message"] = errors[i]!.Value.Message },
        };
        if (!request.IsBatch)
        {
            return (StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(errorAnswer(0).ToJsonString()));
        }
        var rest = Enumerable.Range(0, errors.Length).Where(i => errors[i] is null).ToArray();
        var answers = new Dictionary<string, Queue<JsonNode?>>(StringComparer.Ordinal);
        if (rest.Length > 0)
        {
            var subset = new JsonArray([.. rest.Select(i => elements[i]?.DeepClone())]);
            var (status, upstream) = await PostUpstreamAsync(System.Text.Encoding.UTF8.GetBytes(subset.ToJsonString()), [.. rest.Select(i => request.Methods[i])]);
            if (JsonNode.Parse(upstream) is not JsonArray forwarded)
            {
                // The node refused the batch as a whole (e.g. too large): hand that on unchanged.
                return (status, upstream);
            }
            foreach (var answer in forwarded)
            {
                var key = IdKey(answer?["id"]);
                if (!answers.TryGetValue(key, out var queue))
                {
                    answers[key] = queue = new Queue<JsonNode?>();
                }
                queue.Enqueue(answer?.DeepClone());
            }
        }
        var merged = new JsonArray();
        for (var i = 0; i < errors.Length; i++)
        {
            if (errors[i] is not null)
            {
                merged.Add(errorAnswer(i));
            }
            else if (answers.TryGetValue(IdKey(elements[i]?["id"]), out var queue) && queue.TryDequeue(out var answer))
            {
                merged.Add(answer);
            }
            // else: a notification (no id), which gets no answer.
        }
        return (StatusCodes.Status200OK, System.Text.Encoding.UTF8.GetBytes(merged.ToJsonString()));
    }

    private async Task<(int Status, byte[] Body)> PostUpstreamAsync(byte[] body, string[] methods)
    {
        lock (_lock)
        {
            foreach (var method in methods)
            {
                _forwarded[method] = _forwarded.GetValueOrDefault(method) + 1;
            }
        }
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new(Json);
        // Not the client's token: once forwarded, the node finishes the request whatever the client does, as a real one would.
        using var response = await _upstream.PostAsync(Upstream, content, _disposing.Token);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(_disposing.Token));
    }

    private static string IdKey(JsonNode? id) => id?.ToJsonString() ?? "null";

    private void Record(RpcFault kind, IEnumerable<string> methods, string detail)
    {
        lock (_lock)
        {
            foreach (var method in methods)
            {
                _events.Add(new RpcFaultEvent(DateTimeOffset.UtcNow, kind, method, detail));
            }
        }
    }

    private static T? Take<T>(Dictionary<string, T> rules, string method, long now)
        where T : class, ICountedRule
    {
        if (!rules.TryGetValue(method, out var rule))
        {
            return null;
        }
        if (!Active(rule.Until, now))
        {
            rules.Remove(method);
            return null;
        }
        if (rule.Remaining is { } n)
        {
            if (n <= 1)
            {
                rules.Remove(method);
            }
            else
            {
                rule.Remaining = n - 1;
            }
        }
        return rule;
    }

    private static bool Active(long? until, long now) => until is not { } u || now < u;

    private static long? Until(TimeSpan? duration) => duration is { } d ? Stopwatch.GetTimestamp() + (long)(d.TotalSeconds * Stopwatch.Frequency) : null;

    private static long UntilOrForever(TimeSpan? duration) => Until(duration) ?? long.MaxValue;

    private interface ICountedRule
    {
        int? Remaining { get; set; }

        long? Until { get; }
    }

    private sealed class CountedRule(int? remaining, long? until) : ICountedRule
    {
        public int? Remaining { get; set; } = remaining;

        public long? Until { get; } = until;
    }

    private sealed class ErrorRule(long code, string message, int? remaining, long? until) : ICountedRule
    {
        public long Code { get; } = code;

        public string Message { get; } = message;

        public int? Remaining { get; set; } = remaining;

        public long? Until { get; } = until;
    }

    private sealed class Plan
    {
        public bool BlackHole { get; init; }

        public TimeSpan? RetryAfter { get; init; }

        public (long Code, string Message)?[] Errors { get; init; } = [];

        public bool LoseAnswer { get; init; }

        public TimeSpan? Delay { get; init; }
    }

    /// <summary>A post's JSON-RPC requests: their methods ("?" when unreadable) and, when it parsed, the elements.</summary>
    private sealed record ParsedRequest(bool IsBatch, string[] Methods, JsonNode?[]? Elements)
    {
        public static ParsedRequest Parse(byte[] body)
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(body);
            }
            catch (System.Text.Json.JsonException)
            {
                return new ParsedRequest(false, ["?"], null);
            }
            JsonNode?[] elements = root is JsonArray array ? [.. array] : [root];
            return new ParsedRequest(root is JsonArray, [.. elements.Select(MethodOf)], elements);
        }

        private static string MethodOf(JsonNode? element) =>
            element is JsonObject o && o["method"] is JsonValue v && v.TryGetValue(out string? method) ? method : "?";
    }
}
