using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests;

/// <summary>
/// The committed OpenAPI document (docs/openapi.json) as a checker of real responses: the status must be one the
/// operation lists, and a JSON body must match that response's schema (JSON Schema 2020-12, as OpenAPI 3.1 uses).
/// Requests to paths or methods the document does not describe (internal routes, CORS preflights, 405s) are not checked.
/// </summary>
public sealed partial class OpenApiContract
{
    public static string CommittedPath => Path.Combine(RepoPaths.Root, "docs", "openapi.json");

    private static readonly Lazy<OpenApiContract> LazyCommitted = new(() => new OpenApiContract(File.ReadAllText(CommittedPath)));

    public static OpenApiContract Committed => LazyCommitted.Value;

    private readonly List<(Regex Path, string Template, string Method, JsonObject Responses)> _operations = [];
    private readonly JsonObject _defs;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    public OpenApiContract(string document)
    {
        // Component references become $defs of each response's schema: one self-contained 2020-12 schema.
        var root = JsonNode.Parse(document.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))!.AsObject();
        _defs = root["components"]?["schemas"]?.AsObject() ?? [];
        foreach (var (template, item) in root["paths"]!.AsObject())
        {
            var pattern = "^" + TemplateParameter().Replace(Regex.Escape(template), "[^/]+") + "$";
            foreach (var (method, operation) in item!.AsObject())
            {
                if (operation?["responses"] is JsonObject responses)
                {
                    _operations.Add((new Regex(pattern, RegexOptions.CultureInvariant), template, method.ToUpperInvariant(), responses));
                }
            }
        }
    }

    /// <summary>Null when the response is what the document says; otherwise why not.</summary>
    public string? Check(string method, string path, int status, string? mediaType, string body)
    {
        var operation = _operations.FirstOrDefault(o => o.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && o.Path.IsMatch(path));
        if (operation.Responses is null)
        {
            return null;
        }
        var where = $"{method} {path} -> {status} (operation {operation.Method} {operation.Template})";
        var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses[code] is not JsonObject response)
        {
            return $"{where}: status {status} is not listed (listed: {string.Join(", ", operation.Responses.Select(r => r.Key))}); body {body}";
        }
        if (response["content"]?["application/json"]?["schema"] is not { } schemaNode)
        {
            return null;
        }
        if (mediaType is null || !(mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return $"{where}: expected an application/json body, got {mediaType ?? "none"}: {body}";
        }
        JsonNode? instance;
        try
        {
            instance = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return $"{where}: body is not JSON ({e.Message}): {body}";
        }
        var schema = _schemas.GetOrAdd(operation.Method + " " + operation.Template + " " + code, _ => Build(schemaNode));
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return null;
        }
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        return $"{where}: body does not match the schema: {string.Join("; ", errors)}; body {body}";
    }

    private JsonSchema Build(JsonNode responseSchema)
    {
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://session-voice.test/schemas/{Guid.NewGuid():N}",
            ["$defs"] = _defs.DeepClone(),
            ["allOf"] = new JsonArray(responseSchema.DeepClone()),
        };
        return JsonSchema.FromText(schema.ToJsonString());
    }

    [GeneratedRegex(@"\\\{[^/]+?}")]
    private static partial Regex TemplateParameter();
}

/// <summary>Checks every response the API tests receive against the committed document (ApiHost.Client).</summary>
public sealed class OpenApiValidatingHandler(OpenApiContract contract, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Head)
        {
            return response;
        }
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (contract.Check(request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body) is { } failure)
        {
            response.Dispose();
            throw new OpenApiContractException(failure);
        }
        return response;
    }
}

public sealed class OpenApiContractException(string message) : Exception("Response differs from docs/openapi.json: " + message);
