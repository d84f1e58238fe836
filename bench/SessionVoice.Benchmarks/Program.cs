using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace SessionVoice.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/SessionVoice.Benchmarks -- --filter '*'</c> (add <c>--job short</c> for a quick run).
/// Results go to bench/SessionVoice.Benchmarks/BenchmarkDotNet.Artifacts (git-ignored) unless <c>--artifacts</c> says otherwise.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(ProjectDirectory(), "BenchmarkDotNet.Artifacts"));
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    // bin/<Configuration>/<tfm>/ → the folder holding the .csproj; the current directory when run from elsewhere.
    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SessionVoice.Benchmarks.csproj")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
