
namespace SessionVoice.Core.Sessions;

/// <summary>A non-empty half-open stretch of unix milliseconds [FromMs, ToMs).</summary>
internal readonly record struct MsSpan(long FromMs, long ToMs)
{
    public long Length => ToMs - FromMs;
}

/// <summary>
/// Set arithmetic on sorted, disjoint <see cref="MsSpan"/> lists: exact integer measures, so the
/// policy's thresholds never depend on rounding.
/// </summary>
internal static class MsSpans
{
    /// <summary>Each span cut to [fromMs, toMs); spans that vanish are dropped.</summary>
    public static List<MsSpan> Clip(IEnumerable<MsSpan> spans, long fromMs, long toMs)
    {
        var result = new List<MsSpan>();
        foreach (var span in spans)
        {
            var from = Math.Max(span.FromMs, fromMs);
            var to = Math.Min(span.ToMs, toMs);
            if (to > from)
            {
                result.Add(new MsSpan(from, to));
            }
        }
        return result;
    }

    public static List<MsSpan> Intersect(IReadOnlyList<MsSpan> a, IReadOnlyList<MsSpan> b)
    {
        var result = new List<MsSpan>();
        int i = 0, j = 0;
        while (i < a.Count && j < b.Count)
        {
            var from = Math.Max(a[i].FromMs, b[j].FromMs);
            var to = Math.Min(a[i].ToMs, b[j].ToMs);
            if (to > from)
            {
                result.Add(new MsSpan(from, to));
            }
            if (a[i].ToMs < b[j].ToMs)
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return result;
    }

    /// <summary>|spans ∩ (−∞, limitMs)|.</summary>
    public static long MeasureBefore(IReadOnlyList<MsSpan> spans, long limitMs)
    {
        long total = 0;
        foreach (var span in spans)
        {
            if (span.FromMs >= limitMs)
            {
                break;
            }
            total += Math.Min(span.ToMs, limitMs) - span.FromMs;
        }
        return total;
    }

    /// <summary>
    /// The smallest limit c with |spans ∩ (−∞, c)| ≥ <paramref name="amountMs"/> (amount &gt; 0), or null
    /// when the spans never add up to it.
    /// </summary>
    public static long? PointReaching(IReadOnlyList<MsSpan> spans, long amountMs)
    {
        long total = 0;
        foreach (var span in spans)
        {
            if (total + span.Length >= amountMs)
            {
                return span.FromMs + (amountMs - total);
            }
            total += span.Length;
        }
        return null;
    }
}
