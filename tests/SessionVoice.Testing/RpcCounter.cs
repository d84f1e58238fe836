using System.Collections.Concurrent;
using System.Text.Json;

namespace SessionVoice.Testing;

/// <summary>What the service asked the node, and every JSON-RPC error it got back, nonce errors apart.</summary>
public sealed record RpcSnapshot(long Posts, IReadOnlyDictionary<string, long> Methods, long Errors, long NonceErrors)
{
    public long Requests => Methods.Values.Sum();

    public long Count(string method) => Methods.TryGetValue(method, out var n) ? n : 0;

    public RpcSnapshot Since(RpcSnapshot earlier) => new(
        Posts - earlier.Posts,
        Methods.ToDictionary(m => m.Key, m => m.Value - earlier.Count(m.Key)),
        Errors - earlier.Errors,
        NonceErrors - earlier.NonceErrors);
}

/// <summary>
/// Sits under the service's HttpClient for RPC_URL (it forwards everything to the real node): counts posts,
/// JSON-RPC requests per method (a batch counts each of its requests) and errors. A nonce error is any error
/// whose message mentions a nonce, a replacement, underpricing or an already known transaction.
/// </summary>
public sealed class RpcCounter() : DelegatingHandler(new SocketsHttpHandler())
{
    private static readonly string[] NonceNeedles = ["nonce", "replacement", "underpriced", "already known"];

    private readonly ConcurrentDictionary<string, long> _methods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Count, double Ms)> _latency = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _nonceMessages = new();
    private long _posts;
    private long _errors;
    private long _nonceErrors;

    public IReadOnlyCollection<string> NonceMessages => _nonceMessages;

    public RpcSnapshot Snapshot() => new(
        Interlocked.Read(ref _posts), new Dictionary<string, long>(_methods, StringComparer.Ordinal), Interlocked.Read(ref _errors), Interlocked.Read(ref _nonceErrors));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _posts);
        var method = request.Content is null ? "?" : CountMethods(await request.Content.ReadAsByteArrayAsync(cancellationToken));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var response = await base.SendAsync(request, cancellationToken);
        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _latency.AddOrUpdate(method, (1, ms), (_, v) => (v.Count + 1, v.Ms + ms));
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (body.AsSpan().IndexOf("\"error\""u8) >= 0)
        {
            CountErrors(body);
        }
        return response;
    }

    /// <summary>Mean milliseconds per HTTP post, by method ("batch" for batches).</summary>
    public string Latencies() => string.Join(", ", _latency.OrderByDescending(l => l.Value.Count).Select(l => $"{l.Key} {l.Value.Ms / l.Value.Count:0.0}"));

    private string CountMethods(byte[] body)
    {
        var batch = body.Length > 0 && body[0] == (byte)'[';
        string? last = null;
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth <= 2 && reader.ValueTextEquals("method"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                last = reader.GetString()!;
                _methods.AddOrUpdate(last, 1, (_, n) => n + 1);
            }
        }
        return batch ? "batch" : last ?? "?";
    }

    private void CountErrors(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var items = document.RootElement.ValueKind == JsonValueKind.Array ? [.. document.RootElement.EnumerateArray()] : new[] { document.RootElement };
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            Interlocked.Increment(ref _errors);
            var message = error.TryGetProperty("message", out var m) ? m.ToString() : "";
            if (NonceNeedles.Any(n => message.Contains(n, StringComparison.OrdinalIgnoreCase)))
            {
                Interlocked.Increment(ref _nonceErrors);
                if (_nonceMessages.Count < 10)
                {
                    _nonceMessages.Enqueue(message);
                }
            }
        }
    }
}
