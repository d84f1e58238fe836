using System.Globalization;

namespace SessionVoice.Testing.Daprd;

/// <summary>A resiliency retry policy as daprd reads it (constant or exponential; no jitter here, so tests are repeatable).</summary>
public sealed record RetrySpec(bool Exponential, TimeSpan Duration, TimeSpan InitialInterval, TimeSpan MaxInterval, int MaxRetries)
{
    /// <summary>The wait before retry number <paramref name="retry"/> (1-based).</summary>
    public TimeSpan Delay(int retry)
    {
        if (!Exponential)
        {
            return Duration;
        }
        var ms = InitialInterval.TotalMilliseconds * Math.Pow(1.5, retry - 1);
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxInterval.TotalMilliseconds));
    }
}

/// <summary>What applies to calls to one actor type: a per-attempt timeout and a retry policy, either may be absent.</summary>
public sealed record ActorPolicy(TimeSpan? Timeout, RetrySpec? Retry);

/// <summary>
/// The parts of a Dapr Resiliency resource that govern actor calls: <c>spec.policies.timeouts</c>,
/// <c>spec.policies.retries</c> and <c>spec.targets.actors</c>. Read with a small indentation-based reader
/// (maps of scalars, list items ignored), enough for the resource files this repository owns.
/// </summary>
public sealed class ResiliencySpec
{
    public static readonly ResiliencySpec None = new(new Dictionary<string, ActorPolicy>(StringComparer.Ordinal));

    private ResiliencySpec(IReadOnlyDictionary<string, ActorPolicy> actors) => Actors = actors;

    public IReadOnlyDictionary<string, ActorPolicy> Actors { get; }

    public ActorPolicy? For(string actorType) => Actors.GetValueOrDefault(actorType);

    /// <summary>components/resiliency.yaml of this repository.</summary>
    public static ResiliencySpec LoadRepository() => Load(Path.Combine(RepoPaths.Root, "components", "resiliency.yaml"));

    public static ResiliencySpec Load(string path) => Parse(File.ReadAllText(path));

    public static ResiliencySpec Parse(string yaml)
    {
        var root = ReadMap(yaml);
        var spec = Child(root, "spec");
        var policies = Child(spec, "policies");
        var timeouts = Child(policies, "timeouts");
        var retries = Child(policies, "retries");
        var actors = new Dictionary<string, ActorPolicy>(StringComparer.Ordinal);
        foreach (var (type, value) in Child(Child(spec, "targets"), "actors"))
        {
            var target = value as Dictionary<string, object> ?? throw new FormatException($"targets.actors.{type} must be a map");
            TimeSpan? timeout = null;
            if (target.TryGetValue("timeout", out var t) && t is string timeoutName)
            {
                // A target names a policy, or (daprd allows it) gives a duration inline.
                timeout = timeouts.TryGetValue(timeoutName, out var named) && named is string d ? GoDuration.Parse(d) : GoDuration.Parse(timeoutName);
            }
            RetrySpec? retry = null;
            if (target.TryGetValue("retry", out var r) && r is string retryName)
            {
                var policy = Child(retries, retryName);
                var kind = Scalar(policy, "policy") ?? "constant";
                retry = new RetrySpec(
                    kind == "exponential",
                    GoDuration.Parse(Scalar(policy, "duration") ?? "5s"),
                    GoDuration.Parse(Scalar(policy, "initialInterval") ?? "500ms"),
                    GoDuration.Parse(Scalar(policy, "maxInterval") ?? "60s"),
                    int.Parse(Scalar(policy, "maxRetries") ?? "-1", CultureInfo.InvariantCulture));
            }
            actors[type] = new ActorPolicy(timeout, retry);
        }
        return new ResiliencySpec(actors);
    }

    private static string? Scalar(Dictionary<string, object> map, string key) => map.TryGetValue(key, out var v) ? v as string : null;

    private static Dictionary<string, object> Child(Dictionary<string, object> map, string key) =>
        map.TryGetValue(key, out var v) && v is Dictionary<string, object> child ? child : new Dictionary<string, object>(StringComparer.Ordinal);

    /// <summary>Nested maps by indentation; comments, blank lines and list items are skipped; quotes are taken off scalars.</summary>
    internal static Dictionary<string, object> ReadMap(string yaml)
    {
        var root = new Dictionary<string, object>(StringComparer.Ordinal);
        var stack = new List<(int Indent, Dictionary<string, object> Map)> { (-1, root) };
        foreach (var raw in yaml.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var content = line.TrimStart();
            if (content.Length == 0 || content.StartsWith('#') || content.StartsWith('-') || content == "---")
            {
                continue;
            }
            var indent = line.Length - content.Length;
            var colon = content.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }
            var key = content[..colon].Trim().Trim('"');
            var value = content[(colon + 1)..];
            var hash = value.IndexOf(" #", StringComparison.Ordinal);
            if (hash >= 0)
            {
                value = value[..hash];
            }
            value = value.Trim().Trim('"');
            while (stack[^1].Indent >= indent)
            {
                stack.RemoveAt(stack.Count - 1);
            }
            var parent = stack[^1].Map;
            if (value.Length == 0)
            {
                var child = new Dictionary<string, object>(StringComparer.Ordinal);
                parent[key] = child;
                stack.Add((indent, child));
            }
            else
            {
                parent[key] = value;
            }
        }
        return root;
    }
}

/// <summary>Durations as Dapr writes them: Go's "1h2m3s4ms" (also "500ms", "1.5s") and the SDK's "0h0m5s0ms".</summary>
public static class GoDuration
{
    public static TimeSpan Parse(string text)
    {
        if (!TryParse(text, out var value))
        {
            throw new FormatException($"not a duration: '{text}'");
        }
        return value;
    }

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }
        var negative = s.StartsWith('-');
        if (negative)
        {
            s = s[1..];
        }
        double totalMs = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            if (start == i || !double.TryParse(s[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }
            double? scale = s[unitStart..i] switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1000,
                "ms" => 1,
                "us" or "µs" => 0.001,
                "ns" => 0.000001,
                _ => null,
            };
            if (scale is not { } factor)
            {
                return false;
            }
            totalMs += number * factor;
        }
        value = TimeSpan.FromMilliseconds(negative ? -totalMs : totalMs);
        return true;
    }
}
