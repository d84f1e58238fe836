using System.Text.Json;
using System.Text.RegularExpressions;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Dapr;

/// <summary>
/// The Dapr resources for `dapr run -f .` (components/, dapr.yaml) agree with each other and with
/// the names the C# code uses. No daprd here and no YAML library: plain line checks on files whose
/// layout we own (two-space indentation, one resource per file).
/// </summary>
public partial class DaprComponentsTests
{
    private const string AppId = "session-voice";

    /// <summary>The secrets the service reads (docs/configuration.md).</summary>
    private static readonly string[] AppSecrets =
        ["AGORA_APP_ID", "AGORA_APP_CERTIFICATE", "JWT_SECRET", "ORACLE_PRIVATE_KEY", "SERVICE_TOKEN", "AGORA_WEBHOOK_SECRET"];

    private static string ComponentsDir => Path.Combine(RepoPaths.Root, "components");

    [Fact]
    public void Exactly_one_component_is_the_actor_state_store()
    {
        var stores = Components().Where(c => c.Metadata.TryGetValue("actorStateStore", out var v) && v == "true").ToList();

        var store = Assert.Single(stores);
        Assert.Equal("session-voice-state", store.Name);
        Assert.Equal("state.redis", store.Type);
        Assert.Equal("localhost:6379", store.Metadata["redisHost"]);
        // Any other spelling ("True", unquoted in another file) must not sneak in a second store.
        Assert.Single(Components(), c => c.Lines.Any(l => l.Contains("actorStateStore", StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public void Every_component_and_the_resiliency_spec_are_scoped_to_the_app()
    {
        var resources = Resources().Where(r => r.Kind is "Component" or "Resiliency").ToList();
        var names = resources.Select(r => r.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        foreach (var name in new[] { "session-voice-state", "session-voice-secrets", "attest-sweep", "session-voice-resiliency" })
        {
            Assert.Contains(name, names);
        }
        foreach (var resource in resources)
        {
            Assert.True(resource.Scopes.Contains(AppId), $"{resource.File}: scopes must contain {AppId}");
        }
    }

    [Fact]
    public void The_cron_binding_is_the_attest_sweep_input()
    {
        var cron = Assert.Single(Components(), c => c.Type == "bindings.cron");
        Assert.Equal("attest-sweep", cron.Name);
        Assert.Equal("input", cron.Metadata["direction"]);
        Assert.Equal("@every 1m", cron.Metadata["schedule"]);
        Assert.False(cron.Metadata.ContainsKey("route"), "daprd must call POST /attest-sweep, the component's name");
    }

    [Fact]
    public void The_state_store_password_comes_from_the_local_secret_store()
    {
        var secrets = Assert.Single(Components(), c => c.Type == "secretstores.local.file");
        Assert.Equal("session-voice-secrets", secrets.Name);
        Assert.Equal(":", secrets.Metadata["nestedSeparator"]);
        // Relative to daprd's working directory, which `dapr run -f .` sets to appDirPath (the root).
        var secretsFile = secrets.Metadata["secretsFile"];
        Assert.False(Path.IsPathRooted(secretsFile));
        Assert.Equal("components/secrets.json", secretsFile);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "components", "secrets.example.json")));

        var store = Assert.Single(Components(), c => c.Name == "session-voice-state");
        Assert.Contains("  secretStore: session-voice-secrets", store.Lines);
        var password = store.Lines.SkipWhile(l => l.Trim() != "- name: redisPassword").Take(4).Select(l => l.Trim()).ToList();
        Assert.Equal(["- name: redisPassword", "secretKeyRef:", "name: REDIS_PASSWORD", "key: REDIS_PASSWORD"], password);
        Assert.True(ExampleSecrets().TryGetProperty("REDIS_PASSWORD", out _), "the example secrets must hold the key the state store references");
    }

    [Fact]
    public void The_run_file_starts_session_voice_with_the_components()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "dapr.yaml"));
        string Field(string name) =>
            Assert.Single(lines.Select(l => l.Trim()), l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim().Trim('"');

        Assert.Contains("version: 1", lines);
        Assert.Equal(AppId, Field("- appID"));
        Assert.Equal(".", Field("appDirPath"));
        Assert.Equal("3338", Field("appPort"));
        Assert.Equal("3338", Field("PORT"));
        Assert.Equal("Dapr", Field("SessionVoice__Runtime"));
        Assert.Equal("true", Field("enableAppHealthCheck"));
        Assert.Equal("/health", Field("appHealthCheckPath"));

        // resourcesPaths is a YAML list (the CLI ignores a plain string there).
        var resources = lines.SkipWhile(l => l.Trim() != "resourcesPaths:").Skip(1)
            .TakeWhile(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)).Select(l => l.Trim()[2..].Trim()).ToList();
        Assert.Equal(["./components"], resources);
        Assert.True(Directory.Exists(Path.Combine(RepoPaths.Root, resources[0])));

        var config = Field("configFilePath");
        Assert.Equal("./components/config.yaml", config);
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, config)));

        Assert.Equal("""["dotnet", "run", "--project", "src/SessionVoice.Api", "--no-launch-profile"]""", Field("command"));
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "src", "SessionVoice.Api", "SessionVoice.Api.csproj")));
    }

    [Fact]
    public void The_example_secrets_hold_every_name_and_only_placeholders()
    {
        var secrets = ExampleSecrets();
        Assert.Equal(JsonValueKind.Object, secrets.ValueKind);
        foreach (var name in AppSecrets)
        {
            Assert.True(secrets.TryGetProperty(name, out var value), $"secrets.example.json lacks {name}");
            Assert.Equal(JsonValueKind.String, value.ValueKind);
        }
        foreach (var secret in secrets.EnumerateObject())
        {
            var value = secret.Value.GetString() ?? "";
            // No 64-hex private key, no 32-hex Agora certificate, nor anything hex that long.
            Assert.False(LongHex().IsMatch(value), $"{secret.Name} looks like a real key");
            Assert.True(value.Length == 0 || value.StartsWith("replace-me", StringComparison.Ordinal), $"{secret.Name} must be empty or an obvious replace-me placeholder");
        }
    }

    [Fact]
    public void The_configuration_lets_the_app_read_only_its_secrets()
    {
        var config = Assert.Single(Resources(), r => r.Kind == "Configuration");
        Assert.Equal("session-voice-config", config.Name);
        Assert.Equal("config.yaml", config.File);
        Assert.Contains("    samplingRate: \"1\"", config.Lines);

        var scope = config.Lines.SkipWhile(l => l.Trim() != "- storeName: session-voice-secrets").ToList();
        Assert.NotEmpty(scope);
        Assert.Equal("defaultAccess: deny", scope[1].Trim());
        Assert.Equal("allowedSecrets:", scope[2].Trim());
        var allowed = scope.Skip(3).TakeWhile(l => l.TrimStart().StartsWith("- ", StringComparison.Ordinal)).Select(l => l.Trim()[2..]).ToList();
        Assert.Equal(AppSecrets.Order(StringComparer.Ordinal), allowed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Resiliency_covers_every_actor_type_and_the_state_store()
    {
        var resiliency = Assert.Single(Resources(), r => r.Kind == "Resiliency");
        Assert.Equal("session-voice-resiliency", resiliency.Name);
        var targets = resiliency.Lines.SkipWhile(l => l != "  targets:").ToList();
        // The oracle actor's calls are single steps, nested inside a booking actor's turn: their own timeout and retry.
        foreach (var (actor, timeout, retry) in new[] { ("BookingActor", "actorCall", "actorRetry"), ("OracleActor", "oracleCall", "oracleRetry") })
        {
            var policies = targets.SkipWhile(l => l != $"      {actor}:").Skip(1).Take(2).Select(l => l.Trim()).ToList();
            Assert.Equal([$"timeout: {timeout}", $"retry: {retry}"], policies);
        }
        // A sign-in's single-use check must never be retried (a retry after a lost answer refuses a genuine sign-in);
        // the watcher is polled again by the next tick. Both have a timeout and no retry.
        foreach (var (actor, timeout) in new[] { ("SignInActor", "signInCall"), ("WatcherActor", "watcherCall") })
        {
            var policies = targets.SkipWhile(l => l != $"      {actor}:").Skip(1).TakeWhile(l => l.StartsWith("        ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            Assert.Equal([$"timeout: {timeout}"], policies);
        }
        var entities = typeof(SessionVoice.Actors.BookingActor).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(global::Dapr.Actors.Runtime.Actor)) && !t.IsAbstract).Select(t => t.Name);
        Assert.All(entities, e => Assert.Contains($"      {e}:", targets));
        var outbound = targets.SkipWhile(l => l != "      session-voice-state:").Skip(1).Take(4).Select(l => l.Trim()).ToList();
        Assert.Equal(["outbound:", "timeout: stateStore", "retry: stateStoreRetry", "circuitBreaker: stateStoreBreaker"], outbound);
        foreach (var policy in new[] { "actorCall:", "oracleCall:", "signInCall:", "watcherCall:", "stateStore:", "actorRetry:", "oracleRetry:", "stateStoreRetry:", "stateStoreBreaker:" })
        {
            Assert.Single(resiliency.Lines, l => l.Trim().StartsWith(policy, StringComparison.Ordinal) && l.StartsWith("      ", StringComparison.Ordinal));
        }
    }

    [GeneratedRegex("[0-9a-fA-F]{32,}")]
    private static partial Regex LongHex();

    private static JsonElement ExampleSecrets()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ComponentsDir, "secrets.example.json")));
        return document.RootElement.Clone();
    }

    private static IEnumerable<Resource> Components() => Resources().Where(r => r.Kind == "Component");

    /// <summary>Every YAML file in components/, read as one top-level resource each.</summary>
    private static List<Resource> Resources()
    {
        var files = Directory.GetFiles(ComponentsDir, "*.yaml").Concat(Directory.GetFiles(ComponentsDir, "*.yml")).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        return files.Select(Resource.Read).ToList();
    }

    private sealed record Resource(string File, string Kind, string Name, string? Type, Dictionary<string, string> Metadata, List<string> Scopes, List<string> Lines)
    {
        public static Resource Read(string path)
        {
            var lines = System.IO.File.ReadAllLines(path).Where(l => !l.TrimStart().StartsWith('#')).ToList();
            var file = Path.GetFileName(path);
            Assert.DoesNotContain(lines, l => l.Trim() == "---"); // one resource per file

            Assert.Contains("apiVersion: dapr.io/v1alpha1", lines);
            var kind = TopLevel(lines, "kind") ?? throw new InvalidDataException($"{file}: no kind");
            var metadata = lines.SkipWhile(l => l != "metadata:").Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();
            var name = metadata.Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("name: ", StringComparison.Ordinal))?[6..].Trim()
                ?? throw new InvalidDataException($"{file}: no metadata.name");

            // spec.type and spec.metadata (- name: x / value: y pairs) of a Component.
            var spec = lines.SkipWhile(l => l != "spec:").Skip(1).TakeWhile(l => l.Length == 0 || l.StartsWith("  ", StringComparison.Ordinal)).ToList();
            var type = spec.FirstOrDefault(l => l.StartsWith("  type: ", StringComparison.Ordinal))?[8..].Trim();
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            string? current = null;
            foreach (var line in spec.SkipWhile(l => l != "  metadata:").Skip(1).Select(l => l.Trim()))
            {
                if (line.StartsWith("- name: ", StringComparison.Ordinal))
                {
                    current = line[8..].Trim();
                }
                else if (current is not null && line.StartsWith("value: ", StringComparison.Ordinal))
                {
                    Assert.True(values.TryAdd(current, Unquote(line[7..])), $"{file}: {current} twice");
                }
            }

            return new Resource(file, kind, name, type, values, ReadScopes(lines), lines);
        }

        private static string? TopLevel(List<string> lines, string key) =>
            lines.FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal))?[(key.Length + 1)..].Trim();

        /// <summary>Top-level `scopes:` as a block list or a flow list.</summary>
        private static List<string> ReadScopes(List<string> lines)
        {
            var inline = TopLevel(lines, "scopes");
            if (inline is { Length: > 0 })
            {
                return inline.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Unquote).ToList();
            }
            return lines.SkipWhile(l => l != "scopes:").Skip(1)
                .TakeWhile(l => l.StartsWith("  - ", StringComparison.Ordinal) || l.StartsWith("- ", StringComparison.Ordinal))
                .Select(l => Unquote(l.Trim()[2..])).ToList();
        }

        private static string Unquote(string value)
        {
            value = value.Trim();
            return value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;
        }
    }
}
