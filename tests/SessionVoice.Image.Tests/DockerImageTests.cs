using System.Globalization;
using System.Net;
using SessionVoice.Testing;

namespace SessionVoice.Image.Tests;

/// <summary>
/// Builds the repository's Dockerfile and runs the image the way Kubernetes does (read-only root
/// filesystem, tmpfs at /tmp and /data). Runs wherever a Docker engine answers; elsewhere it
/// reports skipped with the reason — never passed.
/// </summary>
public sealed class DockerImageTests(ITestOutputHelper output)
{
    private const string Tag = "session-voice:test";

    [Fact]
    public async Task The_image_builds_where_a_docker_engine_exists()
    {
        if (await DockerEngine.UnavailableReasonAsync() is { } reason)
        {
            Assert.Skip($"no Docker engine: {reason}");
        }

        var build = await ProcessRunner.RunAsync("docker", ["build", "-t", Tag, "."], RepoPaths.Root, timeout: TimeSpan.FromMinutes(15));
        Assert.True(build.ExitCode == 0, $"docker build exited {build.ExitCode}:\n{build.StdErr}\n{build.StdOut}");

        // USER $APP_UID: numeric and not root, so runAsNonRoot admits it.
        var user = (await ProcessRunner.RunAsync("docker", ["image", "inspect", "--format", "{{.Config.User}}", Tag])).EnsureSuccess("docker image inspect");
        output.WriteLine("image user: " + user);
        Assert.True(int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid != 0, $"image user is '{user}', expected a numeric non-root uid");

        string[] run =
        [
            "run", "--detach", "--rm", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/data",
            // Published on a free loopback port chosen by the engine; read back with `docker port`.
            "--publish", "127.0.0.1::3338",
            .. MockService.MockEscrow.SelectMany(kv => new[] { "--env", $"{kv.Key}={kv.Value}" }),
            Tag,
        ];
        var container = (await ProcessRunner.RunAsync("docker", run)).EnsureSuccess("docker run");
        try
        {
            var published = (await ProcessRunner.RunAsync("docker", ["port", container, "3338/tcp"])).EnsureSuccess("docker port");
            var address = FirstLine(published);
            var health = await MockService.WaitForHealthAsync(new Uri("http://" + address), TimeSpan.FromSeconds(30), () => false);
            var logs = await ProcessRunner.RunAsync("docker", ["logs", container]);
            output.WriteLine("container output:\n" + logs.StdOut + logs.StdErr);
            Assert.True(health is not null, "no answer on /health within 30 s");
            Assert.Equal(HttpStatusCode.OK, health.Value.Status);
            Assert.Contains("\"ok\":true", health.Value.Body, StringComparison.Ordinal);
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rm", "--force", container]);
        }
    }

    private static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(no output)";
}
