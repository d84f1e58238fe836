using System.Diagnostics;
using System.Globalization;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.SettlementBench;
using SessionVoice.Testing;
using SessionVoice.Core.Sessions.Settlement;
using SessionVoice.Api.Standalone;

// Settlement at scale against anvil (127.0.0.1, a free port), through the service's real standalone path
// (watcher, SettlementLoop, SQLite store, EscrowClient, OracleSubmitter; see ServiceUnderTest).
//   sweep  [--bookings 10000] [--block-time 1|auto] [--gas-limit G] [--timeout 600]
//   burst  [--bookings 100]   [--block-time 1|auto] [--gas-limit G] [--timeout 600]
// Bookings are created in bulk and nobody joins. They started 10 min ago (grace 5 min, 30 min long), so the
// watcher's first decision for each is Wait(Dl = G + D − margin). Then both clocks jump to Dl, where every
// booking is due in the same second and the policy says NoShowHost (rule 4, nobody seen). Exit code 0 only
// when every booking is attested NoShowHost on chain by exactly one oracle transaction and the node
// reported no nonce error. "auto" is anvil's automine: one block per transaction, and each block costs anvil
// more as the escrow's state grows, so 10 000 attestations measure anvil more than the service.
// "mined" counts decisions with a receipt recorded (Mined or already Final); "final" waits until none is left
// Mined (CONFIRMATIONS blocks, default 3; on automine the bench mines an empty block every second meanwhile).
// The oracle's pending and latest nonces, polled by the bench itself, tell the service's sending apart from mining.
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: SessionVoice.SettlementBench sweep|burst [--bookings N] [--block-time S] [--gas-limit G] [--timeout S]");
    return 2;
}
const uint DurationMins = 30, GraceMins = 5, MinOverlapMins = 10;
var margin = (long)PolicyParameters.Default.Margin.TotalSeconds;

string[] anvilArgs = ["--gas-limit", options.GasLimit.ToString(CultureInfo.InvariantCulture)];
await using var chain = await EscrowChain.StartAsync(blockTime: options.BlockTime, anvilArgs: anvilArgs);
var mining = options.BlockTime is { } bt ? $"anvil --block-time {bt}" : "anvil automine";
Console.WriteLine($"settlement {options.Mode}: {options.Bookings} bookings nobody joined, {mining}, gas limit {options.GasLimit}, {Environment.ProcessorCount} CPUs");

var start = await chain.NowAsync() - 10 * 60;
var dl = start + (GraceMins + DurationMins) * 60 - margin;
var clock = Stopwatch.StartNew();
var bookings = await chain.CreateBookingsAsync(options.Bookings, start, DurationMins, GraceMins, MinOverlapMins);
var createSeconds = clock.Elapsed.TotalSeconds;
var oracleNonceBefore = await chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest);

var time = new ShiftedTime();
using var rpc = new RpcCounter();
var events = new EventCounter();
var rows = new List<string[]> { Row("create bookings (setup, not the service)", options.Bookings, createSeconds, null) };

// 1. From the service's start: the watcher tracks every booking from the SessionBooked logs and the loop
//    decides each once: Wait(Dl).
var before = rpc.Snapshot();
clock.Restart();
await using (var service = await ServiceUnderTest.StartAsync(chain, time, rpc, events))
{
    var n = options.Bookings;
    var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
    var tracked = await WaitForAsync(service, p => p.Tracked == n && p.Undecided == 0, timeout);
    rows.Add(Row("service start, tracked from logs + first decision (wait)" + (tracked.Done is null ? " TIMED OUT" : ""), tracked.Waiting, clock.Elapsed.TotalSeconds, rpc.Snapshot().Since(before)));

    // 2. Both clocks to Dl: every booking is due in the same second and decides NoShowHost.
    before = rpc.Snapshot();
    clock.Restart();
    double? decided = null;
    await time.AdvanceToAsync(chain.Anvil, dl);
    // The chain's side, apart from the service's bookkeeping: when the oracle's pending and latest nonces reached n.
    using var watchingNonces = new CancellationTokenSource();
    var nonces = WatchNoncesAsync(chain.Anvil, oracleNonceBefore, (ulong)n, clock, watchingNonces.Token);
    // Mined: every decision has a receipt (or ended otherwise). A step never waits for a block, so a receipt is
    // recorded at the booking's next check (1 s), and Final after the configured confirmations (2 s checks).
    var settled = await WaitForAsync(service, p =>
    {
        if (decided is null && p.Decided == n)
        {
            decided = clock.Elapsed.TotalSeconds;
        }
        return p.Decided == n && p[AttestationStatus.Pending] == 0;
    }, timeout);
    var duePhase = rpc.Snapshot().Since(before);
    var minedSeconds = settled.Done;
    // On automine a block comes only with a transaction: mine an empty one every second meanwhile, as a chain would.
    using var confirming = new CancellationTokenSource();
    var emptyBlocks = options.BlockTime is null && minedSeconds is not null ? MineEverySecondAsync(chain.Anvil, confirming.Token) : Task.CompletedTask;
    var final = minedSeconds is null ? settled : await WaitForAsync(service, p => p[AttestationStatus.Mined] == 0 && p[AttestationStatus.Pending] == 0, timeout - TimeSpan.FromSeconds(minedSeconds.Value));
    await confirming.CancelAsync();
    await emptyBlocks;
    var finalSeconds = minedSeconds is null || final.Done is null ? (double?)null : minedSeconds.Value + final.Done.Value;
    rows.Add(Row("all due at Dl: decisions recorded (attest)", settled.Decided, decided ?? clock.Elapsed.TotalSeconds, null));
    var minedCount = settled[AttestationStatus.Mined] + settled[AttestationStatus.Final];
    rows.Add(Row("all due at Dl: attestations mined" + (minedSeconds is null ? " TIMED OUT" : ""), minedCount, minedSeconds ?? clock.Elapsed.TotalSeconds, duePhase));
    rows.Add(Row($"all due at Dl: attestations final ({Environment.GetEnvironmentVariable("CONFIRMATIONS") ?? "3"} confirmations)" + (finalSeconds is null ? " TIMED OUT" : ""), final[AttestationStatus.Final], finalSeconds ?? clock.Elapsed.TotalSeconds, rpc.Snapshot().Since(before)));
    settled = final with { Done = finalSeconds };

    await watchingNonces.CancelAsync();
    var (allSent, allOnChain, timeline) = await nonces;

    PrintTable(rows);
    Console.WriteLine();
    Console.WriteLine($"oracle nonce (polled every 500 ms): all {n} sent {Seconds(allSent)}, all in blocks {Seconds(allOnChain)}"
        + (timeline.Count == 0 ? "" : $"; sent/in blocks at {string.Join(", ", timeline)}"));
    Console.WriteLine(minedSeconds is { } ms && minedCount == n
        ? $"all {n} mined {ms:0.0} s after Dl: {(ms < margin ? "within" : "NOT within")} the {margin} s margin (the contract takes a no-show until G + D = Dl + margin)"
        : $"not all {n} mined: the {margin} s margin was not met");
    Console.WriteLine($"decisions by status: {string.Join(", ", settled.Attestations.OrderBy(a => a.Key).Select(a => $"{a.Key} {a.Value}"))}" + (settled.Done is null ? $" (timed out after {options.TimeoutSeconds} s)" : ""));

    var onChain = new Dictionary<(BookingStatus, Outcome), int>();
    foreach (var chunk in bookings.Select(b => b.Id).Chunk(500))
    {
        foreach (var b in await chain.Escrow.GetBookingsAsync(chunk))
        {
            var key = (b?.Status ?? BookingStatus.None, b?.OracleOutcome ?? Outcome.None);
            onChain[key] = onChain.GetValueOrDefault(key) + 1;
        }
    }
    var oracleTxs = await chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest) - oracleNonceBefore;
    var attested = onChain.GetValueOrDefault((BookingStatus.Attested, Outcome.NoShowHost));
    Console.WriteLine($"on chain: {string.Join(", ", onChain.OrderByDescending(c => c.Value).Select(c => $"{c.Key.Item1}/{c.Key.Item2} {c.Value}"))}; oracle transactions {oracleTxs}");
    var total = rpc.Snapshot();
    Console.WriteLine($"JSON-RPC during the due phase: {duePhase.Requests} requests in {duePhase.Posts} posts ({Methods(duePhase)})");
    Console.WriteLine($"mean ms per post: {rpc.Latencies()}");
    Console.WriteLine($"JSON-RPC errors over the run: {total.Errors}, nonce errors: {total.NonceErrors}");
    foreach (var message in rpc.NonceMessages)
    {
        Console.WriteLine($"  nonce error: {message}");
    }
    Console.WriteLine(events.Events.Count == 0 ? "service warnings/errors: none" : $"service warnings/errors: {string.Join(", ", events.Events.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {e.Value}"))}");
    foreach (var message in events.FirstMessages.Take(5))
    {
        Console.WriteLine($"  {message}");
    }
    Console.WriteLine($"peak RSS of this process (service + bench): {PeakRssMb()} MB");
    var ok = attested == n && (long)oracleTxs == n && total.NonceErrors == 0;
    Console.WriteLine(ok
        ? $"OK: {n}/{n} attested NoShowHost, one oracle transaction each, no nonce errors"
        : $"FAILED: {attested}/{n} attested NoShowHost, {oracleTxs} oracle transactions, {total.NonceErrors} nonce errors");
    return ok ? 0 : 1;
}

static string Seconds(double? s) => s is { } v ? v.ToString("0.0 's after Dl'", CultureInfo.InvariantCulture) : "not by the end";

// Seconds after the jump at which the oracle's pending, then latest, transaction count reached n more than
// before, and both counts every 15 s meanwhile (how fast the service sends, how fast the chain takes them).
static async Task<(double? Sent, double? OnChain, List<string> Timeline)> WatchNoncesAsync(Anvil anvil, ulong before, ulong n, Stopwatch clock, CancellationToken ct)
{
    double? sent = null, onChain = null;
    var timeline = new List<string>();
    var nextMark = 15;
    try
    {
        while (onChain is null)
        {
            var pending = await anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Pending, ct) - before;
            var latest = await anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest, ct) - before;
            sent ??= pending >= n ? clock.Elapsed.TotalSeconds : null;
            onChain ??= latest >= n ? clock.Elapsed.TotalSeconds : null;
            if (clock.Elapsed.TotalSeconds >= nextMark)
            {
                timeline.Add($"{nextMark} s {pending}/{latest}");
                nextMark += 15;
            }
            await Task.Delay(500, ct);
        }
    }
    catch (OperationCanceledException)
    {
    }
    return (sent, onChain, timeline);
}

static async Task MineEverySecondAsync(Anvil anvil, CancellationToken ct)
{
    try
    {
        while (true)
        {
            await Task.Delay(1000, ct);
            await anvil.MineAsync();
        }
    }
    catch (OperationCanceledException)
    {
    }
}

// Polls the service's store every 50 ms until done; Done is null after the timeout.
static async Task<ProgressAt> WaitForAsync(ServiceUnderTest service, Func<SettlementProgress, bool> done, TimeSpan timeout)
{
    var clock = Stopwatch.StartNew();
    while (true)
    {
        var progress = service.Store.Progress();
        if (done(progress))
        {
            return new ProgressAt(progress, clock.Elapsed.TotalSeconds);
        }
        if (clock.Elapsed > timeout)
        {
            return new ProgressAt(progress, null);
        }
        await Task.Delay(50);
    }
}

static string[] Row(string step, int count, double seconds, RpcSnapshot? rpc) =>
[
    step,
    count.ToString(CultureInfo.InvariantCulture),
    seconds.ToString("0.0", CultureInfo.InvariantCulture),
    seconds > 0 ? (count / seconds).ToString("0", CultureInfo.InvariantCulture) : "–",
    rpc is null ? "" : rpc.Posts.ToString(CultureInfo.InvariantCulture),
    rpc is null ? "" : rpc.Count("eth_call").ToString(CultureInfo.InvariantCulture),
];

static void PrintTable(List<string[]> rows)
{
    Console.WriteLine();
    Console.WriteLine("| step | bookings | seconds | per second | RPC posts | eth_call |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (var row in rows)
    {
        Console.WriteLine($"| {string.Join(" | ", row)} |");
    }
}

static string PeakRssMb() =>
    File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) is { } line
        ? (long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).ToString(CultureInfo.InvariantCulture)
        : "?";

static string Methods(RpcSnapshot rpc) =>
    string.Join(", ", rpc.Methods.Where(m => m.Value > 0).OrderByDescending(m => m.Value).Select(m => $"{m.Key} {m.Value}"));

internal sealed record ProgressAt(SettlementProgress Progress, double? Done)
{
    public int Tracked => Progress.Tracked;

    public int Waiting => Progress.Waiting;

    public int Decided => Progress.Decided;

    public IReadOnlyDictionary<AttestationStatus, int> Attestations => Progress.Attestations;

    public int this[AttestationStatus status] => Progress[status];
}

internal sealed record BenchOptions(string Mode, int Bookings, int? BlockTime, long GasLimit, int TimeoutSeconds)
{
    public static BenchOptions? Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("sweep" or "burst"))
        {
            return null;
        }
        var sweep = args[0] == "sweep";
        var options = new BenchOptions(args[0], sweep ? 10_000 : 100, 1, 1_000_000_000, 600);
        if (args.Length % 2 == 0)
        {
            return null;
        }
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--bookings" => options with { Bookings = Math.Clamp(int.Parse(value, CultureInfo.InvariantCulture), 1, 100_000) },
                "--block-time" => options with { BlockTime = value is "0" or "auto" ? null : int.Parse(value, CultureInfo.InvariantCulture) },
                "--gas-limit" => options with { GasLimit = long.Parse(value, CultureInfo.InvariantCulture) },
                "--timeout" => options with { TimeoutSeconds = Math.Clamp(int.Parse(value, CultureInfo.InvariantCulture), 10, 3600) },
                _ => null,
            };
            if (options is null)
            {
                return null;
            }
        }
        return options;
    }
}
