using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SessionVoice.Api.Auth;
using SessionVoice.Api.Infrastructure;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Sessions;
using SessionVoice.Core.Agora.Ncs;

namespace SessionVoice.Api.Apis;

/// <summary>Endpoint metadata: the security scheme an operation requires (one of <see cref="ApiDocs"/>'s names).</summary>
public sealed record ApiSecurity(string Scheme);

/// <summary>Endpoint metadata: the operation reads the optional <c>force_outcome</c> query parameter.</summary>
public sealed record ForceOutcomeQuery;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>, committed as docs/openapi.json): request and response shapes come
/// from the handlers' typed results and endpoint metadata (RequestBodies.Request, <see cref="Refuses"/>), security schemes, the
/// <c>force_outcome</c> parameter and the internal routes' exclusion from here. Everything is built from
/// compile-time JSON metadata (ApiJsonContext), so the native build serves the same document.
/// </summary>
public static class ApiDocs
{
    public const string Bearer = "bearer";
    public const string ServiceTokenScheme = "serviceToken";
    public const string AgoraSignature = "agoraSignature";
    public const string AgoraSignatureSha1 = "agoraSignatureSha1";

    private static readonly Outcome[] ForcedOutcomes = [Outcome.Completed, Outcome.NoShowHost, Outcome.NoShowGuest];

    /// <summary>Routes for daprd and the cron binding, never for clients.</summary>
    private static readonly string[] InternalPrefixes = ["actors", "dapr", AttestApi.SweepRoute.TrimStart('/')];

    /// <summary>200 with <typeparamref name="T"/>, and <c>{ "error" }</c> with each of <paramref name="errors"/>.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, params int[] errors)
    {
        builder.Produces<T>(StatusCodes.Status200OK, "application/json");
        foreach (var status in errors)
        {
            builder.Produces<ApiError>(status, "application/json");
        }
        return builder;
    }

    /// <summary>
    /// <c>{ "error" }</c> with each of <paramref name="errors"/>; the 200 answer comes from the handler's typed result
    /// (<c>Results&lt;Ok&lt;T&gt;, JsonHttpResult&lt;ApiError&gt;&gt;</c>).
    /// </summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder builder, params int[] errors)
    {
        foreach (var status in errors)
        {
            builder.Produces<ApiError>(status, "application/json");
        }
        return builder;
    }

    public static TBuilder Secured<TBuilder>(this TBuilder builder, string scheme)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new ApiSecurity(scheme));

    public static IServiceCollection AddSessionVoiceOpenApi(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.ShouldInclude = description =>
            (description.GroupName is null || description.GroupName == options.DocumentName) && !IsInternal(description.RelativePath);
        options.AddSchemaTransformer(TransformSchema);
        options.AddDocumentTransformer(TransformDocument);
    });

    internal static bool IsInternal(string? relativePath)
    {
        var path = (relativePath ?? "").TrimStart('/');
        return InternalPrefixes.Any(prefix => path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal));
    }

    /// <summary>
    /// Numbers are numbers (the web defaults' AllowReadingFromString would make every one "integer or string"), and
    /// every property is required except those left out when null (<c>JsonIgnoreCondition.WhenWritingNull</c>).
    /// </summary>
    private static Task TransformSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        if (context.JsonPropertyInfo is null && context.JsonTypeInfo is { Kind: JsonTypeInfoKind.Object } info && schema.Properties is { Count: > 0 })
        {
            var required = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in info.Properties)
            {
                if (!OmittedWhenNull(property))
                {
                    required.Add(property.Name);
                }
            }
            schema.Required = required;
        }
        return Task.CompletedTask;
    }

    private static bool OmittedWhenNull(JsonPropertyInfo property) =>
        property.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), false).OfType<JsonIgnoreAttribute>()
            .Any(a => a.Condition is JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault) ?? property.ShouldSerialize is not null;

    private static Task TransformDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Session Voice API",
            Version = "v1",
            Description = "Wallet sign-in, Agora channel access for escrow bookings, presence and attestation. "
                + "Every error is { \"error\": \"<short message>\" } with the status given.",
        };
        // The served document names the address it was fetched from; the committed one must not.
        document.Servers = null;
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "The token from /auth or /auth/verify (HS256, 1 h).",
            },
            [ServiceTokenScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ServiceToken.Header,
                Description = "SERVICE_TOKEN, at least 32 bytes (in Dapr mode the app API token in dapr-api-token is accepted too). Without a configured token: 503. "
                    + "After SERVICE_TOKEN_FAILURES_PER_MINUTE (10) wrong tokens from one client address, every call from it is 429 for the rest of the minute.",
            },
            [AgoraSignature] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = NcsSignature.V2Header,
                Description = "Hex HMAC-SHA256 of the raw body with AGORA_WEBHOOK_SECRET.",
            },
            [AgoraSignatureSha1] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = NcsSignature.V1Header,
                Description = "Hex HMAC-SHA1 of the raw body; accepted only with AGORA_WEBHOOK_ACCEPT_SHA1=1.",
            },
        };
        foreach (var description in context.DescriptionGroups.SelectMany(g => g.Items))
        {
            if (document.Paths is null
                || !document.Paths.TryGetValue("/" + description.RelativePath?.Trim('/'), out var path)
                || path.Operations is null
                || description.HttpMethod is null
                || !path.Operations.TryGetValue(new HttpMethod(description.HttpMethod), out var operation))
            {
                continue;
            }
            var metadata = description.ActionDescriptor.EndpointMetadata;
            var schemes = metadata.OfType<ApiSecurity>().Select(s => s.Scheme).Distinct().ToList();
            if (schemes.Count > 0)
            {
                // Alternatives: any one of them is enough.
                operation.Security = [.. schemes.Select(scheme => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] })];
            }
            if (metadata.OfType<ForceOutcomeQuery>().Any())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = "force_outcome",
                    In = ParameterLocation.Query,
                    Required = false,
                    Description = "Attest this outcome instead of the decided one: needs ALLOW_FORCE_OUTCOME=1 (403 otherwise); written to the audit log.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. ForcedOutcomes.Select(o => (JsonNode)JsonValue.Create(OutcomeNames.ToApi(o)))] },
                });
            }
            operation.Responses ??= [];
            // Any endpoint: an unexpected failure is { "error": "internal error" }.
            operation.Responses.TryAdd("500", ErrorResponse(document, "Internal Server Error"));
            foreach (var (status, response) in operation.Responses)
            {
                if (response is OpenApiResponse concrete && status != "200" && string.IsNullOrEmpty(concrete.Description))
                {
                    concrete.Description = "Error";
                }
            }
        }
        // /health/ready: 503 is either the oracle's answer (ReadyResponse with ready=false) or a plain error.
        if (document.Paths?.TryGetValue("/health/ready", out var ready) == true
            && ready.Operations?.TryGetValue(HttpMethod.Get, out var readyGet) == true
            && readyGet.Responses?.TryGetValue("503", out var unavailable) == true
            && unavailable.Content?.TryGetValue("application/json", out var media) == true)
        {
            media.Schema = new OpenApiSchema
            {
                AnyOf = [new OpenApiSchemaReference(nameof(ReadyResponse), document), new OpenApiSchemaReference(nameof(ApiError), document)],
            };
        }
        return Task.CompletedTask;
    }

    private static OpenApiResponse ErrorResponse(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(nameof(ApiError), document) },
        },
    };
}
