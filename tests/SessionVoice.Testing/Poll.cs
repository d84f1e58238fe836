using System.Diagnostics;

namespace SessionVoice.Testing;

/// <summary>The one way tests wait for something another thread or process does: poll a condition until a deadline.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"not {what} within {timeout.TotalSeconds:0.#} s");
            }
            await Task.Delay(Interval);
        }
    }
}
