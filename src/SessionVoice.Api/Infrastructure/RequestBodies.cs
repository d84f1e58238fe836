using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// A JSON request an endpoint takes, read and checked by the edge before the endpoint runs: the handler receives it
/// valid or is not called at all. Implementations also declare
/// <c>public static ValueTask&lt;TSelf?&gt; BindAsync(HttpContext context) =&gt; RequestBodies.Bound&lt;TSelf&gt;(context);</c>
/// so the endpoint can name it as a parameter.
/// </summary>
public interface IJsonRequest<TSelf>
    where TSelf : class, IJsonRequest<TSelf>
{
    /// <summary>The request from its JSON object; null with the 400 message for the first field that is wrong.</summary>
    static abstract TSelf? Read(JsonBody body, out string error);
}

/// <summary>
/// Every request body is read here, once: one size limit, one read loop, one content-type check and one
/// JSON parser setting for all endpoints. Endpoints declare their JSON request with <see cref="Request{TWire,TRequest}"/>;
/// <see cref="UseRequestBodies"/> reads and checks it after authentication and rate limiting, answers every malformed
/// body with a clear 400/413/415, and hands the checked request to the handler through
/// <see cref="Bound{TRequest}"/>. The webhook, which verifies a signature over the raw bytes, reads with
/// <see cref="ReadAsync"/>.
/// </summary>
public static class RequestBodies
{
    /// <summary>The largest body any endpoint accepts, counted in body bytes whether declared or chunked.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>
    /// Kestrel's own limit, only a backstop (for bodies nobody reads) far above <see cref="MaxBytes"/>: its chunked
    /// reader counts the chunk framing (sizes, CRLFs) against the limit, so at <see cref="MaxBytes"/> itself a chunked
    /// body a little under 64 KiB would be refused (a test shows it); one-byte chunks carry five bytes of framing each.
    /// </summary>
    public const int KestrelBackstopBytes = 8 * MaxBytes;

    private const int FirstBufferBytes = 4096;

    // A field given twice is refused, not read as whichever copy the parser keeps: two readers of the same body
    // (a proxy, a client library) must never see two different requests.
    private static readonly JsonDocumentOptions ParserOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>The raw body, or the 413 to answer when it is larger than <see cref="MaxBytes"/>.</summary>
    public static async Task<(ReadOnlyMemory<byte> Body, JsonHttpResult<ApiError>? Refusal)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBytes)
        {
            return (default, TooLarge());
        }
        // A declared length (without Transfer-Encoding, which would override it) is the body's exact length: Kestrel
        // ends the body there (the bytes after it are the next request) and refuses one cut short, so reading stops
        // once it is reached, without a last read that returns 0.
        var declared = request.Headers.TransferEncoding.Count == 0 ? (int?)request.ContentLength : null;
        var buffer = new byte[declared ?? FirstBufferBytes];
        var length = 0;
        while (true)
        {
            if (length == declared)
            {
                return (buffer.AsMemory(0, length), null);
            }
            if (length == buffer.Length)
            {
                if (length > MaxBytes)
                {
                    return (default, TooLarge());
                }
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxBytes + 1));
            }
            var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                return (buffer.AsMemory(0, length), null);
            }
            length += read;
            if (length > MaxBytes)
            {
                return (default, TooLarge());
            }
        }
    }

    /// <summary>The endpoint takes a JSON <typeparamref name="TRequest"/>, documented as <typeparamref name="TWire"/> (its shape on the wire).</summary>
    public static RouteHandlerBuilder Request<TWire, TRequest>(this RouteHandlerBuilder builder)
        where TWire : notnull
        where TRequest : class, IJsonRequest<TRequest> =>
        builder.Accepts<TWire>("application/json").WithMetadata(new JsonRequestReader<TRequest>());

    /// <summary>Reads and checks the body of every endpoint that declares a JSON request, before the endpoint runs.</summary>
    public static IApplicationBuilder UseRequestBodies(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RequestReader>() is { } reader && await reader.ReadAsync(context) is { } refusal)
        {
            await refusal.ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    /// <summary>The checked request of this call (the body of a <c>BindAsync</c>).</summary>
    public static ValueTask<TRequest?> Bound<TRequest>(HttpContext context)
        where TRequest : class, IJsonRequest<TRequest> =>
        context.Features.Get<BoundRequest<TRequest>>() is { } bound
            ? ValueTask.FromResult<TRequest?>(bound.Value)
            : throw new InvalidOperationException($"{context.GetEndpoint()?.DisplayName} takes a {typeof(TRequest).Name} but does not declare it with Request<,>()");

    private static async Task<(TRequest? Request, JsonHttpResult<ApiError>? Refusal)> ReadJsonAsync<TRequest>(HttpRequest request)
        where TRequest : class, IJsonRequest<TRequest>
    {
        if (request.ContentLength is > MaxBytes)
        {
            return (null, TooLarge());
        }
        // The plain header every client sends is recognised without parsing it.
        if (!string.Equals(request.ContentType, "application/json", StringComparison.OrdinalIgnoreCase) &&
            (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))))
        {
            return (null, ApiError.Result(StatusCodes.Status415UnsupportedMediaType, "content type must be application/json"));
        }
        var (body, refusal) = await ReadAsync(request, request.HttpContext.RequestAborted);
        if (refusal is not null)
        {
            return (null, refusal);
        }
        try
        {
            using var document = JsonDocument.Parse(body, ParserOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiError.BadRequest("body must be a JSON object"));
            }
            return TRequest.Read(new JsonBody(document.RootElement), out var error) is { } checkedRequest
                ? (checkedRequest, null)
                : (null, ApiError.BadRequest(error));
        }
        catch (JsonException)
        {
            return (null, ApiError.BadRequest("malformed JSON"));
        }
    }

    private static JsonHttpResult<ApiError> TooLarge() => ApiError.Result(StatusCodes.Status413PayloadTooLarge, "request body too large");

    /// <summary>Endpoint metadata: how to read the endpoint's request.</summary>
    private abstract class RequestReader
    {
        /// <summary>Null when the checked request is bound to the call; otherwise the refusal to answer.</summary>
        public abstract Task<JsonHttpResult<ApiError>?> ReadAsync(HttpContext context);
    }

    private sealed class JsonRequestReader<TRequest> : RequestReader
        where TRequest : class, IJsonRequest<TRequest>
    {
        public override async Task<JsonHttpResult<ApiError>?> ReadAsync(HttpContext context)
        {
            var (request, refusal) = await ReadJsonAsync<TRequest>(context.Request);
            if (request is not null)
            {
                context.Features.Set(new BoundRequest<TRequest>(request));
            }
            return refusal;
        }
    }

    private sealed record BoundRequest<TRequest>(TRequest Value);
}
