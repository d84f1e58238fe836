using System.Runtime.InteropServices;
using SessionVoice.Testing;

namespace SessionVoice.Image.Tests;

/// <summary>
/// `dotnet publish` of the service exactly as the Dockerfile's build stage does it (Release,
/// framework-dependent, no apphost), once per test run, into a temporary folder that is then made
/// read-only: the container's /app. Also finds how to start a process as the unprivileged user.
/// </summary>
public sealed class PublishedApp : IAsyncLifetime
{
    /// <summary>nobody/nogroup on Debian and Ubuntu; any uid other than 0 proves the point.</summary>
    public const int UnprivilegedId = 65534;

    public string Root { get; } = Directory.CreateTempSubdirectory("session-voice-image-").FullName;

    public string AppDir => Path.Combine(Root, "app");

    public string Dll => Path.Combine(AppDir, "SessionVoice.Api.dll");

    /// <summary>The dotnet host of the runtime these tests run on (the image has its own).</summary>
    public string DotnetHost { get; } = FindDotnetHost();

    /// <summary>The uid the service is expected to run as: 65534 when the tests run as root, else the tests' own uid.</summary>
    public int ExpectedUid { get; private set; }

    /// <summary>The command (and its arguments) that runs the rest of a command line as <see cref="ExpectedUid"/>; empty when already unprivileged.</summary>
    public IReadOnlyList<string> AsUnprivileged { get; private set; } = [];

    /// <summary>Set when the unprivileged user cannot run the dotnet host at all (unreadable install).</summary>
    public string? HostProblem { get; private set; }

    public async ValueTask InitializeAsync()
    {
        // CreateTempSubdirectory makes the folder 0700: the unprivileged user must be able to
        // traverse it to reach the app and its data folder.
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);

        var euid = EffectiveUid(Environment.ProcessId);
        ExpectedUid = euid == 0 ? UnprivilegedId : euid;
        AsUnprivileged = euid == 0 ? SwitchUserCommand() : [];

        var publish = await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(RepoPaths.Root, "src", "SessionVoice.Api", "SessionVoice.Api.csproj"),
             "-c", "Release", "-o", AppDir, "--no-self-contained", "/p:UseAppHost=false", "-nologo"],
            timeout: TimeSpan.FromMinutes(10));
        publish.EnsureSuccess("dotnet publish src/SessionVoice.Api");

        // What the image does with --chown=root:root and a read-only root fs, as far as a folder can.
        (await ProcessRunner.RunAsync("chmod", ["-R", "a-w", AppDir])).EnsureSuccess("chmod -R a-w");

        // The host (/usr/share/dotnet here) must be readable and executable by the unprivileged user.
        var probe = await RunAsUnprivilegedAsync([DotnetHost, "--list-runtimes"]);
        if (probe.ExitCode != 0 || !probe.StdOut.Contains("Microsoft.AspNetCore.App", StringComparison.Ordinal))
        {
            HostProblem = $"uid {ExpectedUid} cannot run {DotnetHost} --list-runtimes (exit {probe.ExitCode}): {probe.StdErr.Trim()} {probe.StdOut.Trim()}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Root can delete the read-only tree; a non-root runner needs its write bits back first.
        await ProcessRunner.RunAsync("chmod", ["-R", "u+w", Root]);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public Task<ProcessResult> RunAsUnprivilegedAsync(IReadOnlyList<string> command) =>
        AsUnprivileged.Count == 0
            ? ProcessRunner.RunAsync(command[0], command.Skip(1), timeout: TimeSpan.FromSeconds(60))
            : ProcessRunner.RunAsync(AsUnprivileged[0], [.. AsUnprivileged.Skip(1), .. command], timeout: TimeSpan.FromSeconds(60));

    /// <summary>The `Uid:` line of /proc/PID/status: real, effective, saved and filesystem uid.</summary>
    public static int[] Uids(int pid) =>
        [.. File.ReadAllLines($"/proc/{pid}/status")
            .Single(l => l.StartsWith("Uid:", StringComparison.Ordinal))["Uid:".Length..]
            .Split('\t', ' ')
            .Where(s => s.Length > 0)
            .Select(int.Parse)];

    private static int EffectiveUid(int pid) => Uids(pid)[1];

    /// <summary>
    /// setpriv (util-linux) execs the command in place, so the started process *is* the service.
    /// runuser stays as the parent; the test then looks one level down (see NonRootTests).
    /// </summary>
    private static string[] SwitchUserCommand()
    {
        if (FindExecutable("setpriv") is { } setpriv)
        {
            return [setpriv, $"--reuid={UnprivilegedId}", $"--regid={UnprivilegedId}", "--clear-groups"];
        }
        if (FindExecutable("runuser") is { } runuser)
        {
            // -m: keep the environment the test sets (runuser would reset HOME to nobody's).
            return [runuser, "-m", "-u", "nobody", "--"];
        }
        throw new InvalidOperationException("neither setpriv nor runuser (util-linux) is installed: cannot drop root to start the service unprivileged");
    }

    private static string? FindExecutable(string name) =>
        new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>shared/Microsoft.NETCore.App/&lt;version&gt;/ is three levels below the dotnet root.</summary>
    private static string FindDotnetHost()
    {
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
        var root = Directory.GetParent(runtimeDir)?.Parent?.Parent?.FullName
            ?? throw new InvalidOperationException("no dotnet root above " + runtimeDir);
        var host = Path.Combine(root, "dotnet");
        return File.Exists(host) ? host : throw new FileNotFoundException("no dotnet host next to the shared runtimes", host);
    }
}
