using System.Collections.Concurrent;
using System.Globalization;

using System.Text;

namespace SessionVoice.Testing.Daprd;

/// <summary>
/// A daprd cluster for tests, as strict as daprd where the app can notice it: one placement, one actor state store,
/// one reminder scheduler, and one sidecar HTTP endpoint per app instance (<see cref="AddSidecarAsync"/>). Actor calls
/// are routed to the instance that hosts the actor, one turn at a time per actor across the cluster; the actor
/// targets of a Resiliency resource set per-attempt timeouts (which release the actor's lock while the app's turn
/// goes on) and retries; reminders follow the Scheduler's default failure policy (3 retries 1 s apart, then dropped).
/// Every turn is logged (<see cref="Turns"/>).
/// </summary>
public sealed class DaprdDouble : IAsyncDisposable
{
    /// <summary>The app id every sidecar runs with (the state keys carry it).</summary>
    public const string AppId = "session-voice";

    internal const string ErrorHeader = "X-DaprErrorResponseHeader";

    private readonly object _lock = new();
    private readonly List<DaprdSidecar> _sidecars = [];
    private readonly Dictionary<(string Type, string Id), string> _pins = [];
    private readonly Dictionary<(string Type, string Id), string> _active = [];
    private readonly ConcurrentDictionary<(string Type, string Id), SemaphoreSlim> _actorLocks = new();
    private readonly Dictionary<string, (string Value, DateTimeOffset? ExpiresAt)> _state = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Type, string Id, string Name), Reminder> _reminders = [];
    private readonly List<DaprdTurn> _turns = [];
    private readonly List<DaprdReminderDelivery> _deliveries = [];
    private readonly List<DaprdCronTick> _cronTicks = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _scheduler;
    private long _turnSeq;

    private DaprdDouble(ResiliencySpec resiliency, TimeProvider time, string cronComponent)
    {
        Resiliency = resiliency;
        Time = time;
        CronComponent = cronComponent;
        _scheduler = Task.Run(SchedulerLoopAsync);
    }

    /// <summary>A cluster with this repository's components/resiliency.yaml and cron component, unless told otherwise.</summary>
    public static DaprdDouble Start(ResiliencySpec? resiliency = null, TimeProvider? time = null, string? cronComponent = null) =>
        new(resiliency ?? ResiliencySpec.LoadRepository(), time ?? TimeProvider.System, cronComponent ?? RepositoryCronComponent());

    /// <summary>The metadata.name of components/attest-sweep.yaml: daprd POSTs /{name} on the app.</summary>
    public static string RepositoryCronComponent()
    {
        var doc = ResiliencySpec.ReadMap(File.ReadAllText(Path.Combine(RepoPaths.Root, "components", "attest-sweep.yaml")));
        return doc.TryGetValue("metadata", out var m) && m is Dictionary<string, object> meta && meta.TryGetValue("name", out var n) && n is string name
            ? name
            : throw new InvalidOperationException("components/attest-sweep.yaml has no metadata.name");
    }

    public ResiliencySpec Resiliency { get; }

    /// <summary>The scheduler's and the state store's clock (reminder due times, TTLs): a test may move it.</summary>
    public TimeProvider Time { get; }

    public string CronComponent { get; }

    /// <summary>How often each sidecar fires its cron binding on its own; null (the default): only <see cref="TriggerCronAsync"/>.</summary>
    public TimeSpan? CronInterval { get; init; }

    /// <summary>How often a sidecar probes its app's health, and after how many failures in a row the app counts as unhealthy.</summary>
    public TimeSpan HealthProbeInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public int HealthThreshold { get; init; } = 2;

    /// <summary>The Scheduler's default failure policy for reminders: this many retries, this far apart, then the reminder is dropped.</summary>
    public int ReminderRetries { get; init; } = 3;

    public TimeSpan ReminderRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    internal CancellationToken Stopping => _stopping.Token;

    internal HttpClient AppClient { get; } = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }) { Timeout = Timeout.InfiniteTimeSpan };

    public IReadOnlyList<DaprdSidecar> Sidecars
    {
        get
        {
            lock (_lock)
            {
                return [.. _sidecars];
            }
        }
    }

    /// <summary>Every actor turn so far, in start order.</summary>
    public IReadOnlyList<DaprdTurn> Turns
    {
        get
        {
            lock (_lock)
            {
                return [.. _turns];
            }
        }
    }

    public IReadOnlyList<DaprdReminderDelivery> ReminderDeliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    public IReadOnlyList<DaprdCronTick> CronTicks
    {
        get
        {
            lock (_lock)
            {
                return [.. _cronTicks];
            }
        }
    }

    public IReadOnlyList<DaprdReminder> Reminders
    {
        get
        {
            lock (_lock)
            {
                return [.. _reminders.Values.Select(r => new DaprdReminder(r.Type, r.Id, r.Name, r.DueAt, r.Period, r.Failures))];
            }
        }
    }

    /// <summary>
    /// A sidecar for a new app instance. Start the app with its <see cref="DaprdSidecar.Endpoint"/> as DAPR_HTTP_ENDPOINT,
    /// then <see cref="DaprdSidecar.ConnectAppAsync"/>. <paramref name="apiToken"/> is what the app must send
    /// (DAPR_API_TOKEN), <paramref name="appToken"/> what daprd sends the app (APP_API_TOKEN).
    /// </summary>
    public async Task<DaprdSidecar> AddSidecarAsync(string name, string? apiToken = null, string? appToken = null)
    {
        var sidecar = new DaprdSidecar(this, name, apiToken, appToken);
        await sidecar.ListenAsync();
        lock (_lock)
        {
            if (_sidecars.Any(s => s.Name == name))
            {
                throw new InvalidOperationException($"sidecar {name} exists");
            }
            _sidecars.Add(sidecar);
        }
        return sidecar;
    }

    public DaprdSidecar Sidecar(string name) => Sidecars.Single(s => s.Name == name);

    // ---- placement ----

    /// <summary>The instance that hosts (type, id) now: a test pin, else rendezvous hashing over the healthy instances hosting the type.</summary>
    public string? PlacementOf(string type, string id)
    {
        lock (_lock)
        {
            return PlaceLocked(type, id)?.Name;
        }
    }

    /// <summary>Rebalancing: (type, id) moves to <paramref name="instance"/>; the old host is told to deactivate it and its saves are refused from now on.</summary>
    public void Move(string type, string id, string instance)
    {
        DaprdSidecar? old;
        lock (_lock)
        {
            var target = _sidecars.Single(s => s.Name == instance);
            if (!target.Hosts(type))
            {
                throw new InvalidOperationException($"{instance} does not host {type}");
            }
            old = PlaceLocked(type, id);
            _pins[(type, id)] = instance;
            if (_active.TryGetValue((type, id), out var was) && was != instance)
            {
                _active.Remove((type, id));
            }
        }
        if (old is not null && old.Name != instance)
        {
            old.DeactivateInBackground(type, id);
        }
    }

    /// <summary>Takes an instance out of placement (down) or puts it back; its actors' activations there end.</summary>
    public void SetDown(string instance, bool down)
    {
        var sidecar = Sidecar(instance);
        sidecar.Down = down;
        PlacementChanged(sidecar);
    }

    internal void PlacementChanged(DaprdSidecar sidecar)
    {
        lock (_lock)
        {
            foreach (var key in _active.Where(a => a.Value == sidecar.Name).Select(a => a.Key).ToList())
            {
                if (PlaceLocked(key.Type, key.Id) != sidecar)
                {
                    _active.Remove(key);
                }
            }
        }
    }

    private DaprdSidecar? PlaceLocked(string type, string id)
    {
        if (_pins.TryGetValue((type, id), out var pinned) && _sidecars.FirstOrDefault(s => s.Name == pinned) is { } pin && pin.InPlacement && pin.Hosts(type))
        {
            return pin;
        }
        return _sidecars.Where(s => s.InPlacement && s.Hosts(type))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => (Sidecar: s, Score: Score($"{s.Name}|{type}|{id}")))
            .OrderByDescending(s => s.Score)
            .Select(s => s.Sidecar)
            .FirstOrDefault();
    }

    private static ulong Score(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        // splitmix64 finalizer: FNV alone spreads near-identical strings poorly.
        hash ^= hash >> 30;
        hash *= 0xbf58476d1ce4e5b9UL;
        hash ^= hash >> 27;
        hash *= 0x94d049bb133111ebUL;
        return hash ^ (hash >> 31);
    }

    /// <summary>True when (type, id) is placed on <paramref name="sidecar"/> and was activated there by a call.</summary>
    internal bool IsActiveOn(string type, string id, DaprdSidecar sidecar)
    {
        lock (_lock)
        {
            return PlaceLocked(type, id) == sidecar && _active.TryGetValue((type, id), out var on) && on == sidecar.Name;
        }
    }

    // ---- actor calls ----

    internal enum AnswerKind { Ok, ActorError, AppError, Permanent, Timeout, NoHost, Unreachable }

    internal sealed record AppAnswer(AnswerKind Kind, int Status, byte[] Body, IReadOnlyList<KeyValuePair<string, string[]>> Headers, string? ContentType, string Message)
    {
        public bool Ok => Kind == AnswerKind.Ok;

        public static AppAnswer Error(AnswerKind kind, string message) => new(kind, 500, [], [], null, message);
    }

    internal sealed record AppCall(string Type, string Id, string Kind, string Name, HttpMethod Method, string AppPath, byte[] Body, string? ContentType, IReadOnlyList<KeyValuePair<string, string[]>> Headers);

    /// <summary>An actor call with the type's resiliency policy around it (no policy: daprd's own 5 × 1 s retries while no host is found).</summary>
    internal async Task<AppAnswer> CallActorAsync(AppCall call, CancellationToken ct)
    {
        var policy = Resiliency.For(call.Type);
        for (var attempt = 1; ; attempt++)
        {
            var answer = await AttemptAsync(call, policy?.Timeout, ct);
            if (answer.Ok || answer.Kind == AnswerKind.Permanent)
            {
                return answer;
            }
            TimeSpan delay;
            if (policy is null)
            {
                if (answer.Kind != AnswerKind.NoHost || attempt > 5)
                {
                    return answer;
                }
                delay = TimeSpan.FromSeconds(1);
            }
            else if (policy.Retry is { } retry && (retry.MaxRetries < 0 || attempt <= retry.MaxRetries))
            {
                delay = retry.Delay(attempt);
            }
            else
            {
                return answer;
            }
            await Task.Delay(delay, ct);
        }
    }

    private async Task<AppAnswer> AttemptAsync(AppCall call, TimeSpan? timeout, CancellationToken ct)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t)
        {
            attempt.CancelAfter(t);
        }
        var gate = _actorLocks.GetOrAdd((call.Type, call.Id), _ => new SemaphoreSlim(1, 1));
        try
        {
            await gate.WaitAsync(attempt.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return AppAnswer.Error(AnswerKind.Timeout, $"timed out waiting for actor {call.Type}/{call.Id}");
        }
        DaprdTurn turn;
        DaprdSidecar host;
        try
        {
            lock (_lock)
            {
                if (PlaceLocked(call.Type, call.Id) is not { } placed)
                {
                    return AppAnswer.Error(AnswerKind.NoHost, $"did not find address for actor {call.Type}/{call.Id}");
                }
                host = placed;
                _active[(call.Type, call.Id)] = host.Name;
                turn = new DaprdTurn(++_turnSeq, call.Type, call.Id, host.Name, call.Kind, call.Name, DateTimeOffset.UtcNow);
                _turns.Add(turn);
            }
            var answer = await host.SendToAppAsync(call, attempt.Token, ct);
            lock (_lock)
            {
                turn.End = DateTimeOffset.UtcNow;
                turn.Outcome = answer.Kind switch
                {
                    AnswerKind.Ok => "ok",
                    AnswerKind.ActorError => "actor-error",
                    AnswerKind.Timeout => "timeout",
                    AnswerKind.Unreachable => "unreachable",
                    _ => "status-" + answer.Status.ToString(CultureInfo.InvariantCulture),
                };
            }
            return answer;
        }
        finally
        {
            // Released when the app answered or the timeout fired: a timed-out turn may still be running in the app.
            gate.Release();
        }
    }

    // ---- actor state ----

    private static string StateKey(string type, string id, string key) => $"{AppId}||{type}||{id}||{key}";

    /// <summary>The stored JSON of an actor's state key, or null (absent or expired).</summary>
    public string? StateValue(string type, string id, string key)
    {
        lock (_lock)
        {
            return ReadLocked(StateKey(type, id, key));
        }
    }

    internal string? ReadState(string type, string id, string key) => StateValue(type, id, key);

    private string? ReadLocked(string key)
    {
        if (!_state.TryGetValue(key, out var entry))
        {
            return null;
        }
        if (entry.ExpiresAt is { } expires && Time.GetUtcNow() >= expires)
        {
            _state.Remove(key);
            return null;
        }
        return entry.Value;
    }

    internal sealed record StateOp(bool Upsert, string Key, string? Value, TimeSpan? Ttl);

    private long _stateBytesWritten;

    /// <summary>Characters of state values written so far (every upsert's key and value): what the actor state store was made to write.</summary>
    public long StateBytesWritten => Interlocked.Read(ref _stateBytesWritten);

    /// <summary>One transaction, all or nothing.</summary>
    internal void ApplyTransaction(string type, string id, IReadOnlyList<StateOp> ops)
    {
        Interlocked.Add(ref _stateBytesWritten, ops.Where(o => o.Upsert).Sum(o => (long)o.Key.Length + (o.Value?.Length ?? 0)));
        lock (_lock)
        {
            var now = Time.GetUtcNow();
            foreach (var op in ops)
            {
                var key = StateKey(type, id, op.Key);
                if (op.Upsert)
                {
                    _state[key] = (op.Value!, op.Ttl is { } ttl ? now + ttl : null);
                }
                else
                {
                    _state.Remove(key);
                }
            }
        }
    }

    // ---- reminders ----

    private sealed class Reminder(string type, string id, string name, DateTimeOffset dueAt, TimeSpan? period, string? data, DateTimeOffset? expiresAt)
    {
        public string Type { get; } = type;
        public string Id { get; } = id;
        public string Name { get; } = name;
        public DateTimeOffset DueAt { get; set; } = dueAt;
        public TimeSpan? Period { get; } = period;
        public string? Data { get; } = data;
        public DateTimeOffset? ExpiresAt { get; } = expiresAt;
        public int Failures { get; set; }
        public bool InFlight { get; set; }
    }

    internal void RegisterReminder(string type, string id, string name, TimeSpan dueTime, TimeSpan? period, string? data, TimeSpan? ttl)
    {
        lock (_lock)
        {
            var now = Time.GetUtcNow();
            // A new registration replaces the old one (the SDK never sends overwrite: daprd's default is to overwrite).
            _reminders[(type, id, name)] = new Reminder(type, id, name, now + dueTime, period, data, ttl is { } t ? now + t : null);
        }
    }

    internal bool UnregisterReminder(string type, string id, string name)
    {
        lock (_lock)
        {
            return _reminders.Remove((type, id, name));
        }
    }

    internal DaprdReminder? GetReminder(string type, string id, string name)
    {
        lock (_lock)
        {
            return _reminders.TryGetValue((type, id, name), out var r) ? new DaprdReminder(r.Type, r.Id, r.Name, r.DueAt, r.Period, r.Failures) : null;
        }
    }

    private async Task SchedulerLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(20, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            List<Reminder> due;
            lock (_lock)
            {
                var now = Time.GetUtcNow();
                foreach (var expired in _reminders.Where(r => r.Value.ExpiresAt is { } e && now >= e && !r.Value.InFlight).Select(r => r.Key).ToList())
                {
                    _reminders.Remove(expired);
                }
                due = [.. _reminders.Values.Where(r => !r.InFlight && r.DueAt <= now)];
                foreach (var r in due)
                {
                    r.InFlight = true;
                }
            }
            foreach (var reminder in due)
            {
                _ = Task.Run(() => DeliverAsync(reminder));
            }
        }
    }

    private async Task DeliverAsync(Reminder reminder)
    {
        var body = reminder.Data is null
            ? """{"dueTime":"","period":""}"""
            : $$"""{"data":{{reminder.Data}},"dueTime":"","period":""}""";
        var call = new AppCall(reminder.Type, reminder.Id, "reminder", reminder.Name, HttpMethod.Put,
            $"/actors/{Uri.EscapeDataString(reminder.Type)}/{Uri.EscapeDataString(reminder.Id)}/method/remind/{Uri.EscapeDataString(reminder.Name)}",
            Encoding.UTF8.GetBytes(body), "application/json", []);
        AppAnswer answer;
        try
        {
            answer = await CallActorAsync(call, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            var now = Time.GetUtcNow();
            reminder.InFlight = false;
            if (answer.Kind == AnswerKind.NoHost)
            {
                // The Scheduler holds a job until a sidecar hosting the type is connected.
                reminder.DueAt = now + TimeSpan.FromMilliseconds(100);
                return;
            }
            var current = _reminders.TryGetValue((reminder.Type, reminder.Id, reminder.Name), out var c) && ReferenceEquals(c, reminder);
            var dropped = false;
            if (answer.Ok)
            {
                reminder.Failures = 0;
                if (current)
                {
                    if (reminder.Period is { } period)
                    {
                        reminder.DueAt = now + period;
                    }
                    else
                    {
                        _reminders.Remove((reminder.Type, reminder.Id, reminder.Name));
                    }
                }
            }
            else
            {
                reminder.Failures++;
                if (current)
                {
                    if (reminder.Failures > ReminderRetries)
                    {
                        _reminders.Remove((reminder.Type, reminder.Id, reminder.Name));
                        dropped = true;
                    }
                    else
                    {
                        reminder.DueAt = now + ReminderRetryInterval;
                    }
                }
            }
            _deliveries.Add(new DaprdReminderDelivery(reminder.Type, reminder.Id, reminder.Name, DateTimeOffset.UtcNow, answer.Ok, dropped));
        }
    }

    // ---- cron ----

    /// <summary>One tick of the cron binding on every sidecar at once (each POSTs its own app); the apps' answers.</summary>
    public async Task<IReadOnlyList<DaprdCronTick>> TriggerCronAsync() =>
        await Task.WhenAll(Sidecars.Select(s => s.CronTickAsync()));

    internal void RecordCron(DaprdCronTick tick)
    {
        lock (_lock)
        {
            _cronTicks.Add(tick);
        }
    }

    // ---- log queries ----

    /// <summary>Pairs of turns of the same actor whose lock-held intervals overlap (must be empty: one turn per actor).</summary>
    public IReadOnlyList<(DaprdTurn First, DaprdTurn Second)> OverlappingTurns()
    {
        var turns = Turns.Where(t => t.End is not null).ToList();
        var overlaps = new List<(DaprdTurn, DaprdTurn)>();
        foreach (var group in turns.GroupBy(t => (t.ActorType, t.ActorId)))
        {
            var ordered = group.OrderBy(t => t.Start).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Start < ordered[i - 1].End)
                {
                    overlaps.Add((ordered[i - 1], ordered[i]));
                }
            }
        }
        return overlaps;
    }

    /// <summary>Waits (polling the log) until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => Poll.UntilAsync(condition, timeout, what);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _scheduler;
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        foreach (var sidecar in Sidecars)
        {
            await sidecar.DisposeAsync();
        }
        AppClient.Dispose();
        _stopping.Dispose();
        foreach (var gate in _actorLocks.Values)
        {
            gate.Dispose();
        }
    }

}
