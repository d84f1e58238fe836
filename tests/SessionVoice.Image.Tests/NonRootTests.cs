using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using SessionVoice.Testing;

namespace SessionVoice.Image.Tests;

/// <summary>
/// What the image promises, checked without a Docker engine: the published service starts as an
/// unprivileged user from a folder it cannot write to, with the image's environment, and writes its
/// state only under DATA_DIR. (The Dockerfile itself is built in <see cref="DockerImageTests"/>
/// wherever an engine answers.)
/// </summary>
public sealed class NonRootTests(PublishedApp app, ITestOutputHelper output) : IClassFixture<PublishedApp>
{
    /// <param name="home">
    /// "writable": HOME is an empty folder the user owns (where ASP.NET data protection would store its
    /// key ring, under $HOME/.aspnet; standalone mode registers none). "read-only": HOME exists but cannot
    /// be written, as /home/app is under a read-only root filesystem; the service must still start.
    /// </param>
    [Theory]
    [InlineData("writable")]
    [InlineData("read-only")]
    public async Task The_published_service_runs_as_a_non_root_user_from_a_read_only_folder(string home)
    {
        Assert.True(app.HostProblem is null, app.HostProblem);

        var run = Path.Combine(app.Root, "run-" + home);
        var dataDir = WritableFolder(Path.Combine(run, "data"));
        var tmpDir = WritableFolder(Path.Combine(run, "tmp"));
        var homeDir = home == "writable"
            ? WritableFolder(Path.Combine(run, "home"))
            : Folder(Path.Combine(run, "home"), (UnixFileMode)0b101_101_101);

        var before = Listing(app.AppDir);
        var port = LoopbackPort.Free();

        var info = new ProcessStartInfo(app.AsUnprivileged.Count > 0 ? app.AsUnprivileged[0] : app.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The image's WORKDIR /app: the content root is the read-only publish folder.
            WorkingDirectory = app.AppDir,
        };
        foreach (var arg in app.AsUnprivileged.Skip(1).Concat(app.AsUnprivileged.Count > 0 ? [app.DotnetHost] : []).Append(app.Dll))
        {
            info.ArgumentList.Add(arg);
        }
        // Only what the image sets and the deployment passes: nothing inherited from the test run
        // (a stray ASPNETCORE_URLS, DAPR_* or RPC_URL would change what starts).
        info.Environment.Clear();
        info.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        foreach (var (name, value) in MockService.MockEscrow)
        {
            info.Environment[name] = value;
        }
        info.Environment["DATA_DIR"] = dataDir;
        info.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["BIND_ADDRESS"] = "127.0.0.1";
        info.Environment["DOTNET_EnableDiagnostics"] = "0";
        info.Environment["ASPNETCORE_HTTP_PORTS"] = "";
        info.Environment["HOME"] = homeDir;
        info.Environment["DOTNET_CLI_HOME"] = homeDir;
        info.Environment["TMPDIR"] = tmpDir;

        var log = new ConcurrentQueue<string>();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue("stderr: " + e.Data); };
        Assert.True(process.Start(), "could not start " + info.FileName);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var health = await MockService.WaitForHealthAsync(new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromSeconds(30), () => process.HasExited);
            Assert.True(health is not null,
                $"no answer on /health within 30 s (exited: {process.HasExited}{(process.HasExited ? ", code " + process.ExitCode : "")}):\n{string.Join('\n', log)}");
            Assert.Equal(HttpStatusCode.OK, health.Value.Status);
            Assert.Contains("\"ok\":true", health.Value.Body, StringComparison.Ordinal);

            // Ready means the SQLite store under DATA_DIR took a write from this user.
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") })
            {
                using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            }

            var pid = ServicePid(process.Id);
            var uids = PublishedApp.Uids(pid);
            output.WriteLine($"service pid {pid}, Uid: {string.Join(' ', uids)}");
            Assert.All(uids, uid => Assert.Equal(app.ExpectedUid, uid));
            Assert.NotEqual(0, uids[1]);

            // Mock mode (MockService.MockEscrow) keeps its fresh-at-every-start store in DATA_DIR/mock.
            var database = Path.Combine(dataDir, "mock", "session-voice.db");
            Assert.True(File.Exists(database), "no " + database);
            var owner = (await ProcessRunner.RunAsync("stat", ["-c", "%u", database])).EnsureSuccess("stat");
            Assert.Equal(app.ExpectedUid.ToString(CultureInfo.InvariantCulture), owner);

            Assert.Equal(before, Listing(app.AppDir));

            output.WriteLine($"HOME ({home}) afterwards: [{string.Join(", ", Listing(homeDir))}]");
            output.WriteLine($"TMPDIR afterwards: [{string.Join(", ", Listing(tmpDir))}]");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await process.WaitForExitAsync(stopped.Token);
            output.WriteLine("service output:\n" + string.Join('\n', log));
        }
    }

    /// <summary>setpriv execs in place; runuser keeps running as the parent of the service.</summary>
    private static int ServicePid(int started)
    {
        var pid = started;
        for (var depth = 0; depth < 3 && ProcessName(pid) != "dotnet"; depth++)
        {
            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            pid = int.Parse(Assert.Single(children), CultureInfo.InvariantCulture);
        }
        Assert.Equal("dotnet", ProcessName(pid));
        return pid;
    }

    private static string ProcessName(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();

    private static string WritableFolder(string path) => Folder(path, (UnixFileMode)0b111_111_111);

    private static string Folder(string path, UnixFileMode mode)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary><paramref name="root"/> and every file and folder below it with its size, mode and last write time.</summary>
    private static List<string> Listing(string root) =>
        [.. new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Prepend(new DirectoryInfo(root))
            .Select(e => $"{Path.GetRelativePath(root, e.FullName)} {(e is FileInfo f ? f.Length : -1)} {e.UnixFileMode} {e.LastWriteTimeUtc:O}")
            .Order(StringComparer.Ordinal)];
}
