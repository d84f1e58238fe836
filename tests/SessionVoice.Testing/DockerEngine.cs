using System.ComponentModel;

namespace SessionVoice.Testing;

/// <summary>Whether a Docker engine answers here; tests that need one report skipped with the reason.</summary>
public static class DockerEngine
{
    /// <summary>Null when <c>docker info</c> answers; otherwise why not, in one line.</summary>
    public static async Task<string?> UnavailableReasonAsync()
    {
        try
        {
            var result = await ProcessRunner.RunAsync("docker", ["info", "--format", "{{.ServerVersion}}"], timeout: TimeSpan.FromSeconds(20));
            return result.ExitCode == 0 ? null : "`docker info` failed: " + (result.StdErr + "\n" + result.StdOut).Trim().Split('\n')[0];
        }
        catch (Exception e) when (e is Win32Exception or TimeoutException or InvalidOperationException)
        {
            return "no docker CLI (" + e.Message + ")";
        }
    }
}
