using System.Text.Json;
using SessionVoice.Testing;

namespace SessionVoice.Deploy.Tests;

/// <summary>What differs per overlay (the state store), the Secret template, and image overrides.</summary>
public sealed class StateStoreAndTemplateTests
{
    [Fact]
    public async Task Redis_overlay_runs_a_small_non_root_redis_behind_the_store_host()
    {
        var rendered = await Kustomize.RenderAsync("overlays/redis");

        var store = rendered.Single("Component", "session-voice-state");
        var service = rendered.Single("Service", "session-voice-redis");
        var servicePort = Assert.Single(service.Items("spec", "ports")).At("port").GetInt32();
        Assert.Equal($"session-voice-redis:{servicePort}", store.Meta("redisHost").Str("value"));
        Assert.Equal(6379, servicePort);

        var redis = rendered.Single("Deployment", "session-voice-redis");
        var pod = redis.At("spec", "template", "spec");
        var container = Assert.Single(pod.Items("containers"));
        Assert.StartsWith("redis:7", container.Str("image"), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.True, pod.At("securityContext", "runAsNonRoot").ValueKind);
        Assert.NotEqual(0, pod.At("securityContext", "runAsUser").GetInt64());
        Assert.Equal(JsonValueKind.False, container.At("securityContext", "allowPrivilegeEscalation").ValueKind);
        foreach (var kind in new[] { "requests", "limits" })
        {
            Assert.NotNull(container.Find("resources", kind, "memory"));
        }
        foreach (var (key, value) in service.At("spec", "selector").EnumerateObject().Select(p => (p.Name, p.Value.GetString())))
        {
            Assert.Equal(value, redis.Str("spec", "template", "metadata", "labels", key));
        }

        // Redis and the component read the same password Secret.
        var storeRef = store.Meta("redisPassword").At("secretKeyRef");
        var redisRef = Assert.Single(container.Items("env"), e => e.Str("name") == "REDIS_PASSWORD").At("valueFrom", "secretKeyRef");
        Assert.True(JsonElement.DeepEquals(storeRef, redisRef), "the state store and Redis must use the same Secret key");
        Assert.Contains("$(REDIS_PASSWORD)", container.Items("args").Select(a => a.GetString()));
    }

    [Fact]
    public async Task Cosmos_overlay_store_waits_five_minutes_and_takes_its_key_from_a_secret()
    {
        var rendered = await Kustomize.RenderAsync("overlays/cosmos");

        var store = rendered.Single("Component", "session-voice-state");
        Assert.Equal("state.azure.cosmosdb", store.Str("spec", "type"));
        Assert.Equal("5m", store.Str("spec", "initTimeout"));
        foreach (var name in new[] { "url", "database", "collection" })
        {
            Assert.False(string.IsNullOrEmpty(store.Meta(name).Str("value")), $"{name} needs a (placeholder) value");
        }
        Assert.StartsWith("https://", store.Meta("url").Str("value"), StringComparison.Ordinal);
        Assert.Equal("masterKey", store.Meta("masterKey").Str("secretKeyRef", "key"));
        Assert.Null(store.Meta("masterKey").Find("value"));
        Assert.DoesNotContain(rendered.Objects, o => o.Str("metadata", "name") == "session-voice-redis");
    }

    [Fact]
    public async Task Secret_template_is_no_resource_and_holds_no_values()
    {
        var template = Path.Combine(Kustomize.DeployDir, "base", "secret.template.yaml");
        Assert.True(File.Exists(template));
        foreach (var kustomization in Directory.GetFiles(Kustomize.DeployDir, "kustomization.yaml", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(kustomization).Where(l => !l.TrimStart().StartsWith('#'));
            Assert.DoesNotContain(lines, l => l.Contains("secret.template", StringComparison.Ordinal));
        }

        var secrets = await Kustomize.ReadFileAsync(template);
        var names = secrets.Select(s => s.Str("metadata", "name")).ToList();
        Assert.Equal(["session-voice-secrets", "app-api-token", "dapr-api-token", "session-voice-redis", "session-voice-cosmos"], names);
        foreach (var secret in secrets)
        {
            Assert.Equal("Secret", secret.Str("kind"));
            Assert.Null(secret.Find("data"));
            Assert.All(secret.At("stringData").EnumerateObject(), p => Assert.Equal("", p.Value.GetString()));
        }
        Assert.Equal(
            OverlayTests.RequiredSecrets.Concat(OverlayTests.OptionalSecrets).Order(StringComparer.Ordinal),
            secrets[0].At("stringData").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["token"], secrets[1].At("stringData").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["token"], secrets[2].At("stringData").EnumerateObject().Select(p => p.Name));

        // Every Secret the rendered overlays reference is in the template (the Ingress TLS one aside).
        foreach (var overlay in new[] { "overlays/redis", "overlays/cosmos" })
        {
            var rendered = await Kustomize.RenderAsync(overlay);
            foreach (var (name, key) in SecretReferences(rendered))
            {
                var secret = Assert.Single(secrets, s => s.Str("metadata", "name") == name);
                Assert.True(secret.Find("stringData", key) is not null, $"{overlay} reads {name}/{key}, which the template lacks");
            }
        }
    }

    [Fact]
    public async Task Image_can_be_replaced_with_kustomize_images()
    {
        Kustomize.RequireKubectl();
        var dir = Directory.CreateTempSubdirectory("session-voice-kustomize-");
        try
        {
            // Kustomize refuses absolute resource paths: refer to the base relative to the temp folder.
            var baseDir = Path.GetRelativePath(dir.FullName, Path.Combine(Kustomize.DeployDir, "overlays", "redis")).Replace('\\', '/');
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "kustomization.yaml"), $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - {baseDir}
                images:
                  - name: ghcr.io/session-voice/session-voice
                    newName: registry.example.com/voice/session-voice
                    newTag: "1.2.3"

                """, TestContext.Current.CancellationToken);

            var rendered = await Kustomize.RenderDirectoryAsync(dir.FullName);
            Assert.Equal("registry.example.com/voice/session-voice:1.2.3", rendered.AppContainer.Str("image"));
            Assert.StartsWith("redis:", rendered.Single("Deployment", "session-voice-redis").Items("spec", "template", "spec", "containers").Single().Str("image"), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Readme_names_the_overlays_and_the_secrets()
    {
        var readme = File.ReadAllText(Path.Combine(Kustomize.DeployDir, "README.md"));
        foreach (var text in new[] { "kubectl apply", "overlays/redis", "overlays/cosmos", "placement", "scheduler", "session-voice-secrets", "app-api-token", "dapr-api-token", "6343", "1000000" })
        {
            Assert.Contains(text, readme, StringComparison.Ordinal);
        }
        Assert.True(File.Exists(Path.Combine(RepoPaths.Root, "components", "resiliency.yaml")));
    }

    /// <summary>(Secret name, key) of every secretKeyRef in Deployments and Dapr components.</summary>
    private static IEnumerable<(string Name, string Key)> SecretReferences(Rendered rendered)
    {
        var envRefs = rendered.OfKind("Deployment")
            .SelectMany(d => d.Items("spec", "template", "spec", "containers"))
            .SelectMany(c => c.Items("env"))
            .Select(e => e.Find("valueFrom", "secretKeyRef"))
            .OfType<JsonElement>();
        var componentRefs = rendered.OfKind("Component")
            .SelectMany(c => c.Items("spec", "metadata"))
            .Select(m => m.Find("secretKeyRef"))
            .OfType<JsonElement>();
        var refs = envRefs.Concat(componentRefs).Select(r => (r.Str("name")!, r.Str("key")!)).ToList();
        var annotations = rendered.PodAnnotations;
        refs.Add((annotations["dapr.io/app-token-secret"], "token"));
        refs.Add((annotations["dapr.io/api-token-secret"], "token"));
        return refs.Distinct();
    }
}
