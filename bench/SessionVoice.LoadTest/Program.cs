using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

// Loopback load for POST /webhooks/agora: signed NCS join/leave notices, each one new (distinct
// noticeId and clientSeq), so every request is verified, parsed and persisted.
// Usage: SessionVoice.LoadTest <baseUrl> <secret> <channel> <uid> [requests=20000] [connections=16] [channels=1]
// With channels = K > 1, <channel> is a prefix ("heaven-<chainId>") and event i goes to "<channel>-<1 + i mod K>".
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: SessionVoice.LoadTest <baseUrl> <secret> <channel> <uid> [requests] [connections]");
    return 2;
}
var baseUrl = new Uri(args[0]);
if (!baseUrl.IsLoopback)
{
    Console.Error.WriteLine("load is only sent to 127.0.0.1");
    return 2;
}
var secret = Encoding.UTF8.GetBytes(args[1]);
var channel = args[2];
var uid = uint.Parse(args[3], CultureInfo.InvariantCulture);
var total = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 20_000;
var connections = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 16;
var channels = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 1;

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = baseUrl };
var latencies = new ConcurrentBag<double>();
var errors = 0;
var next = 0;
var baseSeq = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

async Task WorkerAsync()
{
    int i;
    while ((i = Interlocked.Increment(ref next)) <= total)
    {
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{{\"noticeId\":\"load-{baseSeq}-{i}\",\"productId\":1,\"eventType\":{(i % 2 == 1 ? 103 : 104)},\"notifyMs\":{ts * 1000},\"payload\":{{\"clientSeq\":{baseSeq + i},\"uid\":{uid},\"channelName\":\"{(channels > 1 ? $"{channel}-{1 + (i % channels)}" : channel)}\",\"platform\":7,\"ts\":{ts}}}}}");
        var bytes = Encoding.UTF8.GetBytes(body);
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/agora") { Content = content };
        request.Headers.Add("Agora-Signature-V2", Convert.ToHexStringLower(HMACSHA256.HashData(secret, bytes)));
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        latencies.Add(watch.Elapsed.TotalMilliseconds);
        if (!response.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref errors);
        }
    }
}

var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(WorkerAsync)));
var seconds = clock.Elapsed.TotalSeconds;
var sorted = latencies.OrderBy(x => x).ToArray();
double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"webhooks: {total} events, {connections} connections, {total / seconds:F0} events/s, p50 {P(0.50):F2} ms, p99 {P(0.99):F2} ms, errors {errors}"));
return errors == 0 ? 0 : 1;
