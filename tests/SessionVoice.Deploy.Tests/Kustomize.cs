using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using SessionVoice.Testing;

namespace SessionVoice.Deploy.Tests;

/// <summary>
/// Renders deploy/k8s with the real kubectl (built-in Kustomize), offline. There is no YAML library
/// here, so kubectl also turns the YAML into JSON: `kubectl annotate --local -o json` reads the
/// documents without a cluster and prints each one back unchanged (unstructured, no schema, no
/// defaults) apart from removing an annotation that is never there.
/// </summary>
public static class Kustomize
{
    /// <summary>The folder every kustomization here lives under.</summary>
    public static string DeployDir => Path.Combine(RepoPaths.Root, "deploy", "k8s");

    /// <summary>kubectl, or null when it is not installed.</summary>
    public static string? Kubectl { get; } = FindKubectl();

    private static readonly ConcurrentDictionary<string, Lazy<Task<Rendered>>> Cache = new(StringComparer.Ordinal);

    /// <summary>`kubectl kustomize deploy/k8s/{relative}`, rendered once per test run.</summary>
    public static Task<Rendered> RenderAsync(string relative)
    {
        RequireKubectl();
        return Cache.GetOrAdd(relative, r => new Lazy<Task<Rendered>>(() => RenderDirectoryAsync(Path.Combine(DeployDir, r)))).Value;
    }

    /// <summary>Renders any kustomization directory (not cached).</summary>
    public static async Task<Rendered> RenderDirectoryAsync(string directory)
    {
        RequireKubectl();
        var result = await ProcessRunner.RunAsync(Kubectl!, ["kustomize", directory]);
        var yaml = result.EnsureSuccess($"kubectl kustomize {directory}") + "\n";
        return new Rendered(directory, yaml, await ToJsonAsync(yaml, "-"));
    }

    /// <summary>Every object in a YAML file (one or more documents) as JSON.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ReadFileAsync(string path)
    {
        RequireKubectl();
        return await ToJsonAsync(null, path);
    }

    public static void RequireKubectl()
    {
        if (Kubectl is null)
        {
            Assert.Skip("kubectl is not installed (needed to render deploy/k8s with its built-in Kustomize)");
        }
    }

    private static async Task<IReadOnlyList<JsonElement>> ToJsonAsync(string? yaml, string file)
    {
        // The annotation removed here never exists: the objects come back as they went in.
        var result = await ProcessRunner.RunAsync(Kubectl!, ["annotate", "--local", "-f", file, "-o", "json", "session-voice.test/none-"], stdin: yaml);
        var json = result.EnsureSuccess("kubectl annotate --local -o json");
        var objects = new List<JsonElement>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.TryGetProperty("kind", out var kind) && kind.GetString() == "List")
            {
                objects.AddRange(root.GetProperty("items").EnumerateArray().Select(item => item.Clone()));
            }
            else
            {
                objects.Add(root.Clone());
            }
        }
        return objects;
    }

    private static string? FindKubectl()
    {
        if (File.Exists("/usr/bin/kubectl"))
        {
            return "/usr/bin/kubectl";
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "kubectl"))
            .FirstOrDefault(File.Exists);
    }
}

/// <summary>One rendered kustomization: the YAML text as kubectl printed it, and its objects as JSON.</summary>
public sealed record Rendered(string Directory, string Yaml, IReadOnlyList<JsonElement> Objects)
{
    /// <summary>The YAML documents (kubectl kustomize separates them with a line "---").</summary>
    public IReadOnlyList<string> Documents =>
        Yaml.Split("\n---\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(d => d.Length > 0).ToList();

    public IEnumerable<JsonElement> OfKind(string kind) => Objects.Where(o => o.Str("kind") == kind);

    public JsonElement Single(string kind, string name) =>
        Assert.Single(Objects, o => o.Str("kind") == kind && o.Str("metadata", "name") == name);

    public JsonElement Deployment => Single("Deployment", "session-voice");

    public JsonElement PodSpec => Deployment.At("spec", "template", "spec");

    public JsonElement AppContainer => Assert.Single(PodSpec.Items("containers"), c => c.Str("name") == "session-voice");

    public IReadOnlyDictionary<string, string> PodAnnotations =>
        Deployment.At("spec", "template", "metadata", "annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);

    /// <summary>The app container's env entry of that name.</summary>
    public JsonElement Env(string name) => Assert.Single(AppContainer.Items("env"), e => e.Str("name") == name);
}

/// <summary>Small navigation helpers over kubectl's JSON (keys may contain dots: "dapr.io/app-id").</summary>
public static class JsonPath
{
    public static JsonElement? Find(this JsonElement element, params string[] path)
    {
        var current = element;
        foreach (var key in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(key, out current))
            {
                return null;
            }
        }
        return current;
    }

    public static JsonElement At(this JsonElement element, params string[] path) =>
        element.Find(path) ?? throw new Xunit.Sdk.XunitException($"missing {string.Join('.', path)} in {Describe(element)}");

    public static string? Str(this JsonElement element, params string[] path) =>
        element.Find(path) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    public static IEnumerable<JsonElement> Items(this JsonElement element, params string[] path) =>
        element.Find(path) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    /// <summary>A Dapr component's spec.metadata entry of that name.</summary>
    public static JsonElement Meta(this JsonElement component, string name) =>
        Assert.Single(component.Items("spec", "metadata"), m => m.Str("name") == name);

    public static string Describe(JsonElement element) =>
        $"{element.Str("kind") ?? "?"}/{element.Str("metadata", "name") ?? element.Str("name") ?? "?"}";
}
