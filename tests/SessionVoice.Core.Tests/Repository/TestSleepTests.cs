using System.Globalization;
using System.Text.RegularExpressions;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Repository;

/// <summary>
/// Tests move time and wait for signals; they do not sleep. Every fixed real-time wait written in the test code
/// (<c>Task.Delay</c> or <c>Thread.Sleep</c> of a literal) is listed here, and none may exceed 100 ms: a longer
/// one is a guess at how long something takes, which is slow when it is right and flaky when it is wrong.
/// Polling loops wait at most 100 ms per round under a deadline.
/// </summary>
public partial class TestSleepTests
{
    private const double MaxMilliseconds = 100;

    [GeneratedRegex(@"(?:Task\.Delay|Thread\.Sleep)\(\s*(?:TimeSpan\.From(?<unit>Milliseconds|Seconds|Minutes)\(\s*(?<n>[0-9_.]+)\s*\)|(?<n>[0-9_]+)\s*[,)])")]
    private static partial Regex Sleep();

    public sealed record Found(string File, int Line, double Milliseconds);

    public static IReadOnlyList<Found> Sleeps()
    {
        var tests = Path.Combine(RepoPaths.Root, "tests");
        var found = new List<Found>();
        foreach (var file in Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepoPaths.Root, file);
            if (Path.GetFileName(file) == $"{nameof(TestSleepTests)}.cs"
                || relative.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || relative.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match m in Sleep().Matches(lines[i]))
                {
                    var n = double.Parse(m.Groups["n"].Value.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
                    var ms = m.Groups["unit"].Value switch { "Seconds" => n * 1000, "Minutes" => n * 60_000, _ => n };
                    found.Add(new Found(relative, i + 1, ms));
                }
            }
        }
        return found;
    }

    [Fact]
    public void No_fixed_wait_in_the_test_code_is_longer_than_100_ms()
    {
        var sleeps = Sleeps();
        Assert.NotEmpty(sleeps);
        var tooLong = sleeps.Where(s => s.Milliseconds > MaxMilliseconds).Select(s => $"{s.File}:{s.Line} sleeps {s.Milliseconds} ms").ToList();
        Assert.True(tooLong.Count == 0, string.Join(Environment.NewLine, tooLong));
    }

    [Fact]
    public void The_scan_recognises_every_spelling_of_a_fixed_wait()
    {
        string[] spellings =
        [
            "await Task.Delay(1100);", "await Task.Delay(1_100, ct);", "await Task.Delay(TimeSpan.FromSeconds(3));",
            "await Task.Delay(TimeSpan.FromMilliseconds(250), token);", "Thread.Sleep(500);", "await Task.Delay(TimeSpan.FromMinutes(0.5));",
        ];
        Assert.All(spellings, s => Assert.Single(Sleep().Matches(s)));
        Assert.Empty(Sleep().Matches("await Task.Delay(wait, ct); await Task.Delay(TimeSpan.FromMilliseconds(rest));"));
    }
}
