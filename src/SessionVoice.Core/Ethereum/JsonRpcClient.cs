using System.Collections;
using System.Net;
using System.Numerics;
using System.Text.Json;

namespace SessionVoice.Core.Ethereum;

public sealed record RpcRequest(string Method, params IReadOnlyList<object?> Params);

/// <summary>One answer of a batch: exactly one of result and error is set.</summary>
public sealed record RpcResponse(JsonElement? Result, RpcError? Error)
{
    public JsonElement GetResultOrThrow(string method) => Error is { } e ? throw new RpcException(method, e) : Result!.Value;
}

/// <summary>The JSON-RPC seam: what an Ethereum node answers, with errors kept as data.</summary>
public interface IJsonRpc
{
    Task<JsonElement> SendAsync(string method, IReadOnlyList<object?> parameters, CancellationToken ct);

    /// <summary>One HTTP round trip; answers come back in request order whatever order the node used.</summary>
    Task<IReadOnlyList<RpcResponse>> SendBatchAsync(IReadOnlyList<RpcRequest> requests, CancellationToken ct);
}

/// <summary>
/// JSON-RPC 2.0 over HTTP. Parameters may be null, string, bool, integers, <see cref="BigInteger"/>
/// (written as a quantity), dictionaries (objects) and sequences (arrays).
/// </summary>
public sealed class JsonRpcClient(HttpClient http, Uri endpoint, Telemetry.SessionVoiceMetrics? metrics = null) : IJsonRpc
{
    private long _nextId;

    public async Task<JsonElement> SendAsync(string method, IReadOnlyList<object?> parameters, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextId);
        var body = Serialize(writer => WriteRequest(writer, id, method, parameters));
        using var document = await PostAsync(method, body, ct).ConfigureAwait(false);
        var response = ReadResponse(method, document.RootElement);
        return response.GetResultOrThrow(method);
    }

    public async Task<IReadOnlyList<RpcResponse>> SendBatchAsync(IReadOnlyList<RpcRequest> requests, CancellationToken ct)
    {
        if (requests.Count == 0)
        {
            return [];
        }
        var firstId = Interlocked.Add(ref _nextId, requests.Count) - requests.Count + 1;
        var body = Serialize(writer =>
        {
            writer.WriteStartArray();
            for (var i = 0; i < requests.Count; i++)
            {
                WriteRequest(writer, firstId + i, requests[i].Method, requests[i].Params);
            }
            writer.WriteEndArray();
        });
        using var document = await PostAsync("batch", body, ct).ConfigureAwait(false);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            // Some nodes answer a whole batch with one error object (e.g. batch too large).
            var single = ReadResponse("batch", root);
            throw new RpcException("batch", single.Error ?? new RpcError(0, "batch answered with a single result", null));
        }
        var results = new RpcResponse?[requests.Count];
        foreach (var item in root.EnumerateArray())
        {
            if (!item.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out var itemId))
            {
                continue;
            }
            var index = itemId - firstId;
            if (index >= 0 && index < requests.Count)
            {
                results[index] = ReadResponse(requests[(int)index].Method, item);
            }
        }
        return [.. results.Select((r, i) => r ?? new RpcResponse(null, new RpcError(0, $"no answer for {requests[i].Method} in the batch", null)))];
    }

    private async Task<JsonDocument> PostAsync(string method, byte[] body, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await PostCoreAsync(method, body, ct).ConfigureAwait(false);
        }
        finally
        {
            metrics?.RpcDuration.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("method", method));
        }
    }

    private async Task<JsonDocument> PostCoreAsync(string method, byte[] body, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            response = await http.PostAsync(endpoint, content, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RpcException(method, new RpcError(0, "transport: " + e.Message, null), e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new RpcException(method, new RpcError(0, "transport timeout", null), e);
        }
        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            try
            {
                return JsonDocument.Parse(bytes);
            }
            catch (JsonException e)
            {
                var status = (int)response.StatusCode;
                var code = response.StatusCode == HttpStatusCode.TooManyRequests ? 429 : 0;
                throw new RpcException(method, new RpcError(code, $"transport: HTTP {status} with a non-JSON body", null), e);
            }
        }
    }

    private static RpcResponse ReadResponse(string method, JsonElement item)
    {
        if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = error.TryGetProperty("code", out var c) && c.TryGetInt64(out var cv) ? cv : 0;
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "unknown error";
            return new RpcResponse(null, new RpcError(code, message, ReadErrorData(error)));
        }
        if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("result", out var result))
        {
            return new RpcResponse(result.Clone(), null);
        }
        return new RpcResponse(null, new RpcError(0, $"{method}: malformed JSON-RPC response", null));
    }

    // Revert data sits in error.data as hex on geth/anvil; some providers nest it one level deeper.
    private static byte[]? ReadErrorData(JsonElement error)
    {
        if (!error.TryGetProperty("data", out var data))
        {
            return null;
        }
        if (data.ValueKind == JsonValueKind.String && Hex.TryDecode(data.GetString(), out var bytes) && data.GetString()!.StartsWith("0x", StringComparison.Ordinal))
        {
            return bytes;
        }
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("data", out var nested) && nested.ValueKind == JsonValueKind.String
            && Hex.TryDecode(nested.GetString(), out var nestedBytes))
        {
            return nestedBytes;
        }
        return null;
    }

    private static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }
        return stream.ToArray();
    }

    private static void WriteRequest(Utf8JsonWriter writer, long id, string method, IReadOnlyList<object?> parameters)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WriteNumber("id", id);
        writer.WriteString("method", method);
        writer.WritePropertyName("params");
        WriteValue(writer, parameters);
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case ulong u:
                writer.WriteNumberValue(u);
                break;
            case BigInteger big:
                writer.WriteStringValue(Hex.EncodeQuantity(big));
                break;
            case Address address:
                writer.WriteStringValue(address.ToString());
                break;
            case Hash32 hash:
                writer.WriteStringValue(hash.ToString());
                break;
            case IEnumerable<KeyValuePair<string, object?>> map:
                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, item);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    WriteValue(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"cannot write a {value.GetType().Name} as a JSON-RPC parameter", nameof(value));
        }
    }
}
