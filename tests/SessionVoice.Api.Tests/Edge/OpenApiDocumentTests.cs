using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Edge;

/// <summary>
/// The served OpenAPI document is the committed docs/openapi.json, a valid OpenAPI 3.1 document that describes every
/// endpoint, and a response that differs from it fails the test that received it. Regenerate the file with
/// <c>UPDATE_OPENAPI=1 dotnet test --project tests/SessionVoice.Api.Tests -- --filter-class "*OpenApiDocumentTests"</c>.
/// </summary>
public class OpenApiDocumentTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    private static readonly string[] PublicPaths =
        ["/health", "/health/ready", "/auth", "/auth/nonce", "/auth/verify", "/session/join", "/session/{id}/leave", "/session/{id}/token", "/session/{id}/stats", "/session/{id}/attest", "/webhooks/agora"];

    [Fact]
    public async Task Served_document_is_the_committed_file()
    {
        var served = Normalize(await (await fx.Client.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync());
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(OpenApiContract.CommittedPath, served);
        }
        var committed = Normalize(await File.ReadAllTextAsync(OpenApiContract.CommittedPath));
        Assert.True(served == committed,
            "docs/openapi.json differs from the served /openapi/v1.json; regenerate it (docs/api.md, \"HTTP API\") with\n"
            + "UPDATE_OPENAPI=1 dotnet test --project tests/SessionVoice.Api.Tests -- --filter-class \"*OpenApiDocumentTests\"");
    }

    [Fact]
    public void Every_public_endpoint_has_its_shapes_errors_and_security_and_no_internal_route_is_listed()
    {
        var doc = JsonNode.Parse(File.ReadAllText(OpenApiContract.CommittedPath))!;
        var paths = doc["paths"]!.AsObject();
        Assert.Equal(PublicPaths.Order(StringComparer.Ordinal), paths.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var (path, item) in paths)
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var responses = operation!["responses"]!.AsObject();
                Assert.True(responses["200"]?["content"]?["application/json"]?["schema"] is not null, $"{method} {path}: no 200 schema");
                Assert.True(responses.Any(r => r.Key != "200"), $"{method} {path}: no error responses");
                foreach (var (status, response) in responses.Where(r => r.Key is not ("200" or "503")))
                {
                    Assert.Equal("#/components/schemas/ApiError", response!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
                }
                var security = operation["security"]?.AsArray().Select(r => r!.AsObject().Single().Key).ToList() ?? [];
                var expected = path switch
                {
                    "/session/{id}/attest" => ["serviceToken"],
                    _ when path.StartsWith("/session", StringComparison.Ordinal) => ["bearer"],
                    "/webhooks/agora" => ["agoraSignature", "agoraSignatureSha1"],
                    _ => new List<string>(),
                };
                Assert.Equal(expected, security);
            }
        }
        foreach (var (path, body) in new[] { ("/auth", "SignInRequest"), ("/auth/nonce", "NonceRequest"), ("/auth/verify", "VerifyRequest"), ("/session/join", "JoinRequest") })
        {
            var request = paths[path]!["post"]!["requestBody"]!;
            Assert.True(request["required"]!.GetValue<bool>());
            Assert.Equal($"#/components/schemas/{body}", request["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        }
        var force = paths["/session/{id}/attest"]!["post"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "force_outcome")!;
        Assert.Equal("query", force["in"]!.GetValue<string>());
        Assert.Equal(["completed", "no-show-host", "no-show-guest"], force["schema"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        // Compat shapes as clients read them: snake_case where the seed had it, null where a value may be missing.
        var schemas = doc["components"]!["schemas"]!;
        Assert.Equal(["channel", "agora_token", "user_uid", "expires_at", "role"], schemas["JoinResponse"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("integer", schemas["JoinResponse"]!["properties"]!["user_uid"]!["type"]!.GetValue<string>());
        Assert.Contains("null", schemas["StatsResponse"]!["properties"]!["hostJoinedAt"]!["type"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.DoesNotContain("reason", schemas["AttestResponse"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal("bearer", doc["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        Assert.Equal("X-Service-Token", doc["components"]!["securitySchemes"]!["serviceToken"]!["name"]!.GetValue<string>());
        Assert.Equal("Agora-Signature-V2", doc["components"]!["securitySchemes"]!["agoraSignature"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void Document_is_valid_OpenAPI_for_the_Microsoft_reader()
    {
        var read = OpenApiDocument.Parse(File.ReadAllText(OpenApiContract.CommittedPath), "json");
        Assert.Empty(read.Diagnostic?.Errors.Select(e => e.ToString()) ?? []);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, read.Diagnostic!.SpecificationVersion);
        Assert.Empty(read.Document!.Validate(ValidationRuleSet.GetDefaultRuleSet())?.Select(e => e.ToString()) ?? []);
    }

    [Fact]
    public async Task Document_is_valid_OpenAPI_for_the_schema_validator()
    {
        var cli = Path.Combine(RepoPaths.NodeModules, "@seriousme", "openapi-schema-validator", "bin", "validate-api-cli.js");
        var result = await ProcessRunner.RunAsync("node", [cli, OpenApiContract.CommittedPath], RepoPaths.Tools);
        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        Assert.True(JsonDocument.Parse(result.StdOut).RootElement.GetProperty("valid").GetBoolean(), result.StdOut);
    }

    [Fact]
    public void The_contract_refuses_what_the_document_does_not_allow()
    {
        var contract = OpenApiContract.Committed;
        const string Health = """{"ok":true,"chainId":6343,"escrow":null,"oracleConfigured":false,"mode":"standalone","version":"1.0.0"}""";
        Assert.Null(contract.Check("GET", "/health", 200, "application/json", Health));
        Assert.Contains("does not match", contract.Check("GET", "/health", 200, "application/json", Health.Replace("6343", "\"6343\"", StringComparison.Ordinal)));
        Assert.Contains("does not match", contract.Check("POST", "/auth/verify", 200, "application/json", """{"jwt":"x"}"""));
        Assert.Contains("does not match", contract.Check("POST", "/session/7/leave", 404, "application/json", """{"message":"booking not found"}"""));
        Assert.Contains("is not listed", contract.Check("POST", "/session/7/leave", 409, "application/json", """{"error":"x"}"""));
        Assert.Contains("expected an application/json body", contract.Check("POST", "/auth/nonce", 200, "text/plain", "abc"));
        Assert.Null(contract.Check("POST", "/session/7/leave", 200, "application/json", """{"ok":true,"duration_ms":12}"""));
        // Not described: not checked (internal routes, preflights, other methods).
        Assert.Null(contract.Check("POST", "/attest-sweep", 200, "application/json", "{}"));
        Assert.Null(contract.Check("GET", "/auth", 405, "application/json", """{"error":"method not allowed"}"""));
    }

    [Fact]
    public async Task A_response_that_differs_from_the_document_fails_the_test_that_receives_it()
    {
        // The real service, with one answer made wrong: /health says "chainId" as a string.
        using var host = new ApiHost(ApiHost.ChainSettings(fx.Chain, ApiHost.TempDataDir()), services: s => s.AddSingleton<IStartupFilter, WrongHealth>());
        using var client = host.Client();
        var failure = await Assert.ThrowsAsync<OpenApiContractException>(() => client.GetAsync("/health"));
        Assert.Contains("GET /health -> 200", failure.Message, StringComparison.Ordinal);
        Assert.Contains("/chainId", failure.Message, StringComparison.Ordinal);
        // A status the operation does not list fails too; the checked client still works for what is documented.
        var unlisted = await Assert.ThrowsAsync<OpenApiContractException>(() => client.PostJsonAsync("/auth/nonce", new { wallet = "teapot" }));
        Assert.Contains("status 418 is not listed", unlisted.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }

    private static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ReplaceLineEndings("\n") + "\n";

    private sealed class WrongHealth : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path == "/health")
                {
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("""{"ok":true,"chainId":"6343","escrow":null,"oracleConfigured":true,"mode":"standalone","version":"x"}""");
                    return;
                }
                if (context.Request.Path == "/auth/nonce")
                {
                    context.Response.StatusCode = 418;
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync("""{"error":"teapot"}""");
                    return;
                }
                await nextMiddleware(context);
            });
            next(app);
        };
    }
}
