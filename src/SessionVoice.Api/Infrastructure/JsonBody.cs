using System.Text.Json;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// A request's JSON object as a request type reads it (<see cref="IJsonRequest{TSelf}"/>): typed fields, each missing,
/// mistyped or malformed one a fixed 400 message naming the field. Valid only while the edge reads the request.
/// </summary>
public readonly struct JsonBody(JsonElement root)
{
    /// <summary>A required string field; null with the message when missing, of another type or not text.</summary>
    public string? String(string name, out string error)
    {
        error = "";
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
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

    /// <summary>A required 0x-prefixed 20-byte address (any case; checksums are not required).</summary>
    public bool Address(string name, out Address address, out string error)
    {
        address = default;
        if (String(name, out error) is not { } text)
        {
            return false;
        }
        if (!Core.Ethereum.Address.TryParse(text, out address))
        {
            error = $"{name} must be a 0x-prefixed 20-byte address";
            return false;
        }
        return true;
    }

    /// <summary>A required non-empty 0x-prefixed hex string of at most <paramref name="maxBytes"/> bytes.</summary>
    public byte[]? Hex(string name, int maxBytes, out string error)
    {
        if (String(name, out error) is not { } text)
        {
            return null;
        }
        if (!text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.Length > 2 + 2 * maxBytes || !Core.Ethereum.Hex.TryDecode(text, out var bytes) || bytes.Length == 0)
        {
            error = $"{name} must be 0x-prefixed hex";
            return null;
        }
        return bytes;
    }
}
