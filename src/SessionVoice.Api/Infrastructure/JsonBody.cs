using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// Request bodies read by hand: every malformed input becomes a clear 4xx instead of a framework
/// page or a 500. The size cap holds on any server (Kestrel's own limit does not apply in-process).
/// </summary>
public sealed class JsonBody
{
    public const int MaxBytes = 16 * 1024;

    private readonly JsonElement _root;

    private JsonBody(JsonElement root) => _root = root;

    /// <summary>The parsed object, or the error response to send.</summary>
    public static async Task<(JsonBody? Body, IResult? Error)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is > MaxBytes)
        {
            return (null, ApiError.Result(StatusCodes.Status413PayloadTooLarge, "request body too large"));
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, ApiError.Result(StatusCodes.Status415UnsupportedMediaType, "content type must be application/json"));
        }
        var buffer = new byte[MaxBytes + 1];
        var length = 0;
        int read;
        while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
            if (length > MaxBytes)
            {
                return (null, ApiError.Result(StatusCodes.Status413PayloadTooLarge, "request body too large"));
            }
        }
        try
        {
            // A field given twice is refused, not read as whichever copy the parser keeps: two readers of the same body
            // (a proxy, a client library) must never see two different requests.
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiError.BadRequest("body must be a JSON object"));
            }
            return (new JsonBody(document.RootElement.Clone()), null);
        }
        catch (JsonException)
        {
            return (null, ApiError.BadRequest("malformed JSON"));
        }
    }

    /// <summary>A required string field; null with an error message when missing or of another type.</summary>
    public string? String(string name, out string? error)
    {
        error = null;
        if (!_root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error = $"{name} is required";
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            error = $"{name} must be a string";
            return null;
        }
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate escape ("\ud800") or raw bytes that are not UTF-8: well-formed JSON, but no text.
            error = $"{name} must be valid text";
            return null;
        }
    }
}
