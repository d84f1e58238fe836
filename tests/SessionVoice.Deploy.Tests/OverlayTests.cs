using System.Text.Json;
using System.Text.RegularExpressions;
using SessionVoice.Testing;

namespace SessionVoice.Deploy.Tests;

/// <summary>
/// What both overlays render (`kubectl kustomize deploy/k8s/overlays/{redis,cosmos}`): the Deployment
/// daprd and the kubelet expect, no secret values, one actor state store, the cron binding, scaling.
/// </summary>
public sealed partial class OverlayTests
{
    public const string AppId = "session-voice";

    /// <summary>The secrets the service reads (docs/configuration.md).</summary>
    public static readonly string[] RequiredSecrets = ["AGORA_APP_ID", "AGORA_APP_CERTIFICATE", "JWT_SECRET"];

    public static readonly string[] OptionalSecrets = ["ORACLE_PRIVATE_KEY", "SERVICE_TOKEN", "AGORA_WEBHOOK_SECRET"];

    public static TheoryData<string> Overlays => new("overlays/redis", "overlays/cosmos");

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Yaml_documents_and_json_objects_agree(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        // Two independent readings of the same output: the "---" split and kubectl's JSON.
        Assert.Equal(rendered.Documents.Count, rendered.Objects.Count);
        Assert.All(rendered.Documents, d => Assert.Matches(ApiVersionLine(), d));
        var ids = rendered.Objects.Select(o => $"{o.Str("kind")}/{o.Str("metadata", "name")}").ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (var expected in new[]
        {
            "ServiceAccount/session-voice", "ConfigMap/session-voice-config-env", "Deployment/session-voice", "Service/session-voice",
            "Ingress/session-voice", "NetworkPolicy/session-voice", "HorizontalPodAutoscaler/session-voice", "PodDisruptionBudget/session-voice",
            "Configuration/session-voice-config", "Resiliency/session-voice-resiliency", "Component/attest-sweep", "Component/session-voice-state",
        })
        {
            Assert.Contains(expected, ids);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Deployment_carries_every_dapr_annotation(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        var annotations = rendered.PodAnnotations;

        var expected = new Dictionary<string, string>
        {
            ["dapr.io/enabled"] = "true",
            ["dapr.io/app-id"] = AppId,
            ["dapr.io/app-port"] = "3338",
            ["dapr.io/config"] = "session-voice-config",
            ["dapr.io/app-token-secret"] = "app-api-token",
            ["dapr.io/api-token-secret"] = "dapr-api-token",
            ["dapr.io/enable-app-health-check"] = "true",
            ["dapr.io/app-health-check-path"] = "/health",
            ["dapr.io/log-as-json"] = "true",
        };
        foreach (var (key, value) in expected)
        {
            Assert.True(annotations.TryGetValue(key, out var actual), $"annotation {key} is missing");
            Assert.Equal(value, actual);
        }
        // The annotations name things that exist: the Configuration and the app's port.
        rendered.Single("Configuration", annotations["dapr.io/config"]);
        var port = Assert.Single(rendered.AppContainer.Items("ports"));
        Assert.Equal(3338, port.At("containerPort").GetInt32());
        Assert.Equal(annotations["dapr.io/app-port"], rendered.Env("PORT").Str("value"));
        // On the pod template: annotations on the Deployment itself are not read by the injector.
        Assert.Null(rendered.Deployment.Find("metadata", "annotations", "dapr.io/enabled"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Api_tokens_reach_the_app_container_from_the_annotated_secrets(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        var annotations = rendered.PodAnnotations;

        // The injector gives APP_API_TOKEN / DAPR_API_TOKEN to daprd only: the app needs its own env.
        foreach (var (env, annotation) in new[] { ("APP_API_TOKEN", "dapr.io/app-token-secret"), ("DAPR_API_TOKEN", "dapr.io/api-token-secret") })
        {
            var entry = rendered.Env(env);
            Assert.Null(entry.Find("value"));
            var reference = entry.At("valueFrom", "secretKeyRef");
            Assert.Equal(annotations[annotation], reference.Str("name"));
            Assert.Equal("token", reference.Str("key"));
            Assert.NotEqual(JsonValueKind.True, reference.Find("optional")?.ValueKind ?? JsonValueKind.Undefined);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task App_secrets_come_from_the_session_voice_secrets_secret(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        // The app skips the Dapr secret store (empty name) and reads these from its environment.
        Assert.Equal("", rendered.Env("SessionVoice__SecretStore").Str("value"));
        foreach (var name in RequiredSecrets.Concat(OptionalSecrets))
        {
            var entry = rendered.Env(name);
            Assert.Null(entry.Find("value"));
            var reference = entry.At("valueFrom", "secretKeyRef");
            Assert.Equal("session-voice-secrets", reference.Str("name"));
            Assert.Equal(name, reference.Str("key"));
            var optional = reference.Find("optional")?.ValueKind == JsonValueKind.True;
            Assert.True(optional == OptionalSecrets.Contains(name), $"{name}: optional must be {OptionalSecrets.Contains(name)}");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task App_runs_in_dapr_mode_with_chain_settings_from_the_configmap(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        Assert.Equal("Dapr", rendered.Env("SessionVoice__Runtime").Str("value"));
        Assert.Equal("3338", rendered.Env("PORT").Str("value"));
        Assert.Equal("0.0.0.0", rendered.Env("BIND_ADDRESS").Str("value"));
        Assert.Equal("/data", rendered.Env("DATA_DIR").Str("value"));

        var config = rendered.Single("ConfigMap", "session-voice-config-env").At("data");
        foreach (var name in new[] { "RPC_URL", "ESCROW_ADDRESS", "CHAIN_ID", "TX_TYPE", "GAS_PRICE_WEI", "ESCROW_START_BLOCK", "CONFIRMATIONS" })
        {
            var reference = rendered.Env(name).At("valueFrom", "configMapKeyRef");
            Assert.Equal("session-voice-config-env", reference.Str("name"));
            Assert.Equal(name, reference.Str("key"));
            Assert.True(config.Find(name) is { ValueKind: JsonValueKind.String }, $"the ConfigMap lacks {name}");
        }
        // MegaETH testnet: legacy transactions at a fixed gas price.
        Assert.Equal("https://carrot.megaeth.com/rpc", config.Str("RPC_URL"));
        Assert.Equal("6343", config.Str("CHAIN_ID"));
        Assert.Equal("legacy", config.Str("TX_TYPE"));
        Assert.Equal("1000000", config.Str("GAS_PRICE_WEI"));
        // A receipt there means canonical, not final: attestations are re-checked for 10 blocks (about 10 s).
        Assert.Equal("10", config.Str("CONFIRMATIONS"));
        Assert.Matches("^0x[0-9a-fA-F]{40}$", config.Str("ESCROW_ADDRESS"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Probes_use_health_and_health_ready_on_the_app_port(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        var app = rendered.AppContainer;
        var portName = Assert.Single(app.Items("ports")).Str("name");

        Assert.Equal("/health", app.Str("livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/ready", app.Str("readinessProbe", "httpGet", "path"));
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            var port = app.At(probe, "httpGet", "port");
            Assert.True(port.ValueKind == JsonValueKind.Number ? port.GetInt32() == 3338 : port.GetString() == portName, $"{probe} must target the app port");
        }
        // A startup probe may only be lenient on a path liveness also accepts.
        Assert.Equal("/health", app.Str("startupProbe", "httpGet", "path"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task App_container_has_requests_and_limits_and_the_sidecar_has_requests(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        var resources = rendered.AppContainer.At("resources");
        foreach (var kind in new[] { "requests", "limits" })
        {
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.False(string.IsNullOrEmpty(resources.Str(kind, resource)), $"resources.{kind}.{resource} is missing");
            }
        }
        // The HPA's CPU utilisation needs a request on every container, daprd included.
        Assert.True(rendered.PodAnnotations.ContainsKey("dapr.io/sidecar-cpu-request"));
        Assert.True(rendered.PodAnnotations.ContainsKey("dapr.io/sidecar-memory-request"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task App_container_runs_non_root_on_a_read_only_root_filesystem(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        var pod = rendered.PodSpec.At("securityContext");
        var container = rendered.AppContainer.At("securityContext");

        Assert.Equal(JsonValueKind.True, pod.At("runAsNonRoot").ValueKind);
        Assert.Equal(JsonValueKind.True, container.At("runAsNonRoot").ValueKind);
        Assert.Equal(JsonValueKind.True, container.At("readOnlyRootFilesystem").ValueKind);
        Assert.Equal(JsonValueKind.False, container.At("allowPrivilegeEscalation").ValueKind);
        Assert.Equal(["ALL"], container.Items("capabilities", "drop").Select(c => c.GetString()));
        Assert.Empty(container.Items("capabilities", "add"));
        Assert.Equal("RuntimeDefault", pod.Str("seccompProfile", "type"));
        // One documented id: 10001 everywhere, never 0.
        foreach (var field in new[] { "runAsUser", "runAsGroup" })
        {
            Assert.Equal(10001, pod.At(field).GetInt64());
            Assert.Equal(10001, container.At(field).GetInt64());
        }
        Assert.Equal(10001, pod.At("fsGroup").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Data_and_tmp_are_empty_dirs(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        var volumes = rendered.PodSpec.Items("volumes").ToDictionary(v => v.Str("name")!, StringComparer.Ordinal);
        var mounts = rendered.AppContainer.Items("volumeMounts").ToDictionary(m => m.Str("mountPath")!, m => m.Str("name")!, StringComparer.Ordinal);

        foreach (var path in new[] { "/data", "/tmp" })
        {
            Assert.True(mounts.TryGetValue(path, out var volume), $"{path} is not mounted");
            Assert.True(volumes[volume].Find("emptyDir") is { ValueKind: JsonValueKind.Object }, $"{path} must be an emptyDir");
        }
        Assert.DoesNotContain(rendered.AppContainer.Items("volumeMounts"), m => m.Find("readOnly")?.ValueKind == JsonValueKind.True && m.Str("mountPath") == "/data");
        Assert.Equal("/data", rendered.Env("DATA_DIR").Str("value"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Output_holds_no_secret_values(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        // Secrets are created by hand (secret.template.yaml), never rendered.
        Assert.DoesNotContain(rendered.Objects, o => o.Str("kind") == "Secret");

        // No env var that carries a secret has an inline value, in any container.
        string[] secretEnv = [.. RequiredSecrets, .. OptionalSecrets, "APP_API_TOKEN", "DAPR_API_TOKEN", "REDIS_PASSWORD"];
        var containers = rendered.OfKind("Deployment").SelectMany(d => d.Items("spec", "template", "spec", "containers")).ToList();
        foreach (var env in containers.SelectMany(c => c.Items("env")))
        {
            var name = env.Str("name")!;
            var value = env.Str("value");
            Assert.False(secretEnv.Contains(name) && value is not null, $"env {name} must come from a Secret, not a value");
            if (value is not null)
            {
                Assert.False(LooksSecret(value), $"env {name} has a value that looks like a secret");
            }
        }
        // Components take credentials by secretKeyRef.
        foreach (var entry in rendered.OfKind("Component").SelectMany(c => c.Items("spec", "metadata")))
        {
            var name = entry.Str("name")!;
            if (CredentialName().IsMatch(name))
            {
                Assert.Null(entry.Find("value"));
                Assert.NotNull(entry.Find("secretKeyRef"));
            }
        }
        // And nothing in the text at all: hex keys and tokens, PEM blocks, JWTs.
        foreach (var document in rendered.Documents)
        {
            foreach (var line in document.Split('\n').Where(l => !l.TrimStart().StartsWith('#')))
            {
                Assert.False(LooksSecret(line), $"looks like a secret: {line.Trim()}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Exactly_one_component_is_the_actor_state_store(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        var stores = rendered.OfKind("Component")
            .Where(c => c.Items("spec", "metadata").Any(m => string.Equals(m.Str("name"), "actorStateStore", StringComparison.OrdinalIgnoreCase)))
            .ToList();
        var store = Assert.Single(stores);
        Assert.Equal("true", store.Meta("actorStateStore").Str("value"));
        Assert.Equal("session-voice-state", store.Str("metadata", "name"));
        Assert.Equal(overlay.EndsWith("redis", StringComparison.Ordinal) ? "state.redis" : "state.azure.cosmosdb", store.Str("spec", "type"));
        Assert.Equal("kubernetes", store.Str("auth", "secretStore"));
        // The resiliency policies name this component.
        Assert.NotNull(rendered.Single("Resiliency", "session-voice-resiliency").Find("spec", "targets", "components", "session-voice-state"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Cron_binding_is_the_attest_sweep_input_of_the_local_run(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        var cron = rendered.Single("Component", "attest-sweep");
        Assert.Equal("bindings.cron", cron.Str("spec", "type"));
        Assert.Equal("input", cron.Meta("direction").Str("value"));
        Assert.Equal("@every 1m", cron.Meta("schedule").Str("value"));
        Assert.DoesNotContain(cron.Items("spec", "metadata"), m => m.Str("name") == "route");
        Assert.Equal([AppId], cron.Items("scopes").Select(s => s.GetString()));

        var local = Assert.Single(await Kustomize.ReadFileAsync(Path.Combine(RepoPaths.Root, "components", "attest-sweep.yaml")));
        Assert.True(JsonElement.DeepEquals(local.At("spec"), cron.At("spec")), "the cluster's cron binding must match components/attest-sweep.yaml");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Resiliency_is_the_local_runs_with_oracle_calls_nested_inside_the_booking_turn(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        var resiliency = rendered.Single("Resiliency", "session-voice-resiliency");
        Assert.Equal([AppId], resiliency.Items("scopes").Select(s => s.GetString()));
        var spec = resiliency.At("spec");
        Assert.Equal("oracleCall", spec.Str("targets", "actors", "OracleActor", "timeout"));
        // A booking actor's turn (actorCall) awaits the oracle actor: every try of the oracle call, and the waits
        // between them, must end inside it, or daprd releases the booking's lock while its turn goes on.
        var oracleTimeout = Seconds(spec.Str("policies", "timeouts", "oracleCall"));
        var retry = spec.At("policies", "retries", spec.Str("targets", "actors", "OracleActor", "retry")!);
        var tries = 1 + retry.At("maxRetries").GetInt32();
        Assert.Equal("constant", retry.Str("policy"));
        Assert.True(tries * oracleTimeout + (tries - 1) * Seconds(retry.Str("duration")) < Seconds(spec.Str("policies", "timeouts", "actorCall")),
            "the oracle call's tries must end inside the booking actor's turn");
        Assert.Equal("actorCall", spec.Str("targets", "actors", "BookingActor", "timeout"));

        var local = Assert.Single(await Kustomize.ReadFileAsync(Path.Combine(RepoPaths.Root, "components", "resiliency.yaml")));
        Assert.True(JsonElement.DeepEquals(local.At("spec"), spec), "the cluster's Resiliency spec must match components/resiliency.yaml");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Dapr_configuration_traces_and_denies_all_but_the_app_secrets(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        var spec = rendered.Single("Configuration", "session-voice-config").At("spec");
        Assert.Equal("1", spec.Str("tracing", "samplingRate"));
        Assert.True(spec.Find("tracing", "otel", "endpointAddress") is not null || spec.Find("tracing", "zipkin", "endpointAddress") is not null);
        var scope = Assert.Single(spec.Items("secrets", "scopes"));
        Assert.Equal("kubernetes", scope.Str("storeName"));
        Assert.Equal("deny", scope.Str("defaultAccess"));
        Assert.Equal(
            RequiredSecrets.Concat(OptionalSecrets).Order(StringComparer.Ordinal),
            scope.Items("allowedSecrets").Select(s => s.GetString()!).Order(StringComparer.Ordinal));
        Assert.Empty(scope.Items("deniedSecrets"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_dapr_component_and_the_resiliency_are_scoped_to_the_app(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        foreach (var resource in rendered.Objects.Where(o => o.Str("kind") is "Component" or "Resiliency"))
        {
            Assert.True(resource.Items("scopes").Any(s => s.GetString() == AppId), $"{JsonPath.Describe(resource)} must be scoped to {AppId}");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Hpa_and_pdb_target_the_deployment(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        var hpa = rendered.Single("HorizontalPodAutoscaler", "session-voice");
        Assert.Equal("autoscaling/v2", hpa.Str("apiVersion"));
        Assert.Equal("Deployment", hpa.Str("spec", "scaleTargetRef", "kind"));
        Assert.Equal("session-voice", hpa.Str("spec", "scaleTargetRef", "name"));
        Assert.Equal(2, hpa.At("spec", "minReplicas").GetInt32());
        Assert.Equal(10, hpa.At("spec", "maxReplicas").GetInt32());
        var metric = Assert.Single(hpa.Items("spec", "metrics"));
        Assert.Equal("cpu", metric.Str("resource", "name"));
        Assert.Equal("Utilization", metric.Str("resource", "target", "type"));
        Assert.Equal(70, metric.At("resource", "target", "averageUtilization").GetInt32());
        Assert.Equal(2, rendered.Deployment.At("spec", "replicas").GetInt32());

        var pdb = rendered.Single("PodDisruptionBudget", "session-voice");
        Assert.Equal("policy/v1", pdb.Str("apiVersion"));
        Assert.Equal(1, pdb.At("spec", "minAvailable").GetInt32());
        AssertSelects(pdb.At("spec", "selector", "matchLabels"), rendered);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Service_and_ingress_reach_the_app_port_without_affinity(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);

        var service = rendered.Single("Service", "session-voice");
        Assert.Equal("ClusterIP", service.Str("spec", "type"));
        Assert.NotEqual("ClientIP", service.Str("spec", "sessionAffinity"));
        AssertSelects(service.At("spec", "selector"), rendered);
        var port = Assert.Single(service.Items("spec", "ports"));
        Assert.Equal(80, port.At("port").GetInt32());
        var target = port.At("targetPort");
        var appPort = Assert.Single(rendered.AppContainer.Items("ports"));
        Assert.True(target.ValueKind == JsonValueKind.Number ? target.GetInt32() == 3338 : target.GetString() == appPort.Str("name"), "targetPort must be the app port");

        var ingress = rendered.Single("Ingress", "session-voice");
        var tls = Assert.Single(ingress.Items("spec", "tls"));
        Assert.False(string.IsNullOrEmpty(tls.Str("secretName")));
        var rule = Assert.Single(ingress.Items("spec", "rules"));
        Assert.Contains(rule.Str("host"), tls.Items("hosts").Select(h => h.GetString()));
        var paths = rule.Items("http", "paths").ToList();
        // Only the public routes: daprd's (/actors, /dapr/config), the cron's (/attest-sweep) and the SDK's /healthz stay inside.
        Assert.Equal(["/auth", "/session", "/health", "/openapi", "/webhooks/agora"], paths.Select(p => p.Str("path")));
        foreach (var internalRoute in new[] { "/actors/BookingActor/1/method/remind/Decide", "/dapr/config", "/attest-sweep", "/healthz", "/" })
        {
            Assert.DoesNotContain(paths, p => Routes(p.Str("path"), p.Str("pathType"), internalRoute));
        }
        foreach (var publicRoute in new[] { "/auth", "/auth/nonce", "/session/join", "/session/7/stats", "/health/ready", "/openapi/v1.json", "/webhooks/agora" })
        {
            Assert.Contains(paths, p => Routes(p.Str("path"), p.Str("pathType"), publicRoute));
        }
        foreach (var path in paths)
        {
            Assert.Contains(path.Str("pathType"), (string[])["Prefix", "Exact"]);
            Assert.Equal("session-voice", path.Str("backend", "service", "name"));
            Assert.True(path.Str("backend", "service", "port", "name") == port.Str("name") || path.Find("backend", "service", "port", "number")?.GetInt32() == 80);
        }
        var annotations = ingress.Find("metadata", "annotations")?.EnumerateObject().Select(a => a.Name).ToList() ?? [];
        Assert.DoesNotContain(annotations, a => a.Contains("affinity", StringComparison.OrdinalIgnoreCase) || a.Contains("sticky", StringComparison.OrdinalIgnoreCase));

        // The app port only from the ingress controller's namespace; replicas reach each other's sidecars only.
        var policy = rendered.Single("NetworkPolicy", "session-voice");
        AssertSelects(policy.At("spec", "podSelector", "matchLabels"), rendered);
        Assert.Equal(["Ingress"], policy.Items("spec", "policyTypes").Select(t => t.GetString()));
        var rules = policy.Items("spec", "ingress").ToList();
        var appRules = rules.Where(r => r.Find("ports") is { } ports && ports.EnumerateArray().Any(p => p.At("port").GetInt32() == 3338)).ToList();
        var appRule = Assert.Single(appRules);
        var from = Assert.Single(appRule.Items("from"));
        Assert.NotNull(from.Find("namespaceSelector", "matchLabels"));
        Assert.Null(from.Find("podSelector"));
        Assert.All(rules, r => Assert.NotNull(r.Find("ports")));
    }

    private static int Seconds(string? duration) => int.Parse(duration!.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether an Ingress path of this type routes the request path (Prefix matches whole path elements).</summary>
    private static bool Routes(string? path, string? type, string request) => path is not null && (type == "Exact"
        ? request == path
        : path == "/" || request == path || request.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Objects_carry_no_namespace_and_the_common_labels(string overlay)
    {
        var rendered = await Kustomize.RenderAsync(overlay);
        foreach (var item in rendered.Objects)
        {
            Assert.Null(item.Find("metadata", "namespace"));
            Assert.Equal("session-voice", item.Str("metadata", "labels", "app.kubernetes.io/part-of"));
        }
        Assert.Equal("session-voice", rendered.Deployment.Str("spec", "template", "metadata", "labels", "app.kubernetes.io/part-of"));
        Assert.Equal("session-voice", rendered.PodSpec.Str("serviceAccountName"));
        rendered.Single("ServiceAccount", "session-voice");
        // The Deployment's selector is immutable: only the name label, which the files set themselves.
        Assert.Equal(["app.kubernetes.io/name"], rendered.Deployment.At("spec", "selector", "matchLabels").EnumerateObject().Select(p => p.Name));
        AssertSelects(rendered.Deployment.At("spec", "selector", "matchLabels"), rendered);
    }

    [Fact]
    public async Task Both_overlays_deploy_the_same_app()
    {
        var redis = await Kustomize.RenderAsync("overlays/redis");
        var cosmos = await Kustomize.RenderAsync("overlays/cosmos");
        Assert.True(JsonElement.DeepEquals(redis.Deployment.At("spec"), cosmos.Deployment.At("spec")), "only the state store may differ between overlays");
        Assert.Equal("ghcr.io/session-voice/session-voice:latest", redis.AppContainer.Str("image"));
    }

    /// <summary>The selector matches the app's pod template labels.</summary>
    private static void AssertSelects(JsonElement selector, Rendered rendered)
    {
        var labels = rendered.Deployment.At("spec", "template", "metadata", "labels");
        Assert.NotEmpty(selector.EnumerateObject());
        foreach (var pair in selector.EnumerateObject())
        {
            Assert.Equal(pair.Value.GetString(), labels.Str(pair.Name));
        }
    }

    private static bool LooksSecret(string text) =>
        Hex64().IsMatch(text) || Hex32().IsMatch(text) || text.Contains("BEGIN ", StringComparison.Ordinal) || Jwt().IsMatch(text);

    [GeneratedRegex(@"^apiVersion: \S+$", RegexOptions.Multiline)]
    private static partial Regex ApiVersionLine();

    /// <summary>A 32-byte key or token in hex (private keys, `openssl rand -hex 32`), with or without 0x.</summary>
    [GeneratedRegex(@"(?<![0-9a-fA-F])(0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])")]
    private static partial Regex Hex64();

    /// <summary>Exactly 32 hex characters: an Agora app id or certificate.</summary>
    [GeneratedRegex(@"(?<![0-9a-fA-Fx])[0-9a-fA-F]{32}(?![0-9a-fA-F])")]
    private static partial Regex Hex32();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")]
    private static partial Regex Jwt();

    [GeneratedRegex("(?i)(password|secret|token|key)$")]
    private static partial Regex CredentialName();
}
