using System.Net;
using System.Text.Json;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Edge;

/// <summary>
/// tools/client: TypeScript types generated from docs/openapi.json (openapi-typescript), a client built on them with
/// openapi-fetch that signs in with an ethers Wallet, type-checked with tsc --strict and run with node against the
/// service on anvil. Everything comes from tools/node_modules; the generated and compiled files go to a temporary folder.
/// </summary>
public class GeneratedClientTests(ChainApiFixture fx) : IClassFixture<ChainApiFixture>
{
    private static readonly string ClientSources = Path.Combine(RepoPaths.Tools, "client");
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task The_client_generated_from_the_openapi_document_compiles_strictly_and_signs_in_with_a_wallet_key()
    {
        var build = CopyClient();
        try
        {
            await GenerateAsync(build);
            var check = await TscAsync(build, "--noEmit");
            Assert.True(check.ExitCode == 0, $"tsc --strict --noEmit: {check.StdOut} {check.StdErr}");
            var emit = await TscAsync(build, "--outDir", Path.Combine(build, "out"));
            Assert.True(emit.ExitCode == 0, $"tsc: {emit.StdOut} {emit.StdErr}");

            var host = AnvilAccounts.Signer(AnvilAccounts.Host);
            var run = await ProcessRunner.RunAsync("node", [Path.Combine(build, "out", "sign-in.js"), "--url", fx.Client.BaseAddress!.ToString()], build,
                timeout: ToolTimeout, environment: new Dictionary<string, string> { ["SIGNER_PRIVATE_KEY"] = AnvilAccounts.Keys[AnvilAccounts.Host] });
            Assert.True(run.ExitCode == 0, $"node sign-in.js exited {run.ExitCode}: {run.StdErr} {run.StdOut}");
            Assert.DoesNotContain(AnvilAccounts.Keys[AnvilAccounts.Host][2..], run.StdOut + run.StdErr, StringComparison.OrdinalIgnoreCase);
            using var printed = JsonDocument.Parse(run.StdOut);
            Assert.Equal(host.Address.ToChecksumString(), printed.RootElement.GetProperty("wallet").GetString());
            var token = printed.RootElement.GetProperty("token").GetString()!;

            // The token is the host's: a protected endpoint answers it from C#, and not a tampered copy.
            var booking = await fx.Chain.CreateBookingAsync(await fx.Chain.NowAsync() + 600, durationMins: 10, graceMins: 2, minOverlapMins: 3);
            var stats = await fx.Client.GetAsync($"/session/{booking.Id}/stats", token);
            var json = await stats.JsonAsync();
            Assert.True(stats.StatusCode == HttpStatusCode.OK, json.ToString());
            Assert.Equal(booking.Id.ToString(), json.GetProperty("bookingId").GetString());
            Assert.Equal(host.Address, Core.Ethereum.Address.Parse(json.GetProperty("host").GetString()!));
            await (await fx.Client.GetAsync($"/session/{booking.Id}/stats", token[..^2] + (token[^2] == 'A' ? "BB" : "AA"))).AssertErrorAsync(401, "unauthorized");
        }
        finally
        {
            Directory.Delete(build, recursive: true);
        }
    }

    [Fact]
    public async Task The_generated_types_are_what_tsc_checks_the_client_against()
    {
        // The same client asking for a field the document does not have: tsc refuses it, so the first test's exit 0 means something.
        var build = CopyClient();
        try
        {
            var source = Path.Combine(build, "sign-in.ts");
            var text = await File.ReadAllTextAsync(source, TestContext.Current.CancellationToken);
            Assert.Contains("nonce.data.nonce)", text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(source, text.Replace("nonce.data.nonce)", "nonce.data.nonceValue)", StringComparison.Ordinal), TestContext.Current.CancellationToken);
            await GenerateAsync(build);
            var check = await TscAsync(build, "--noEmit");
            Assert.NotEqual(0, check.ExitCode);
            Assert.Contains("nonceValue", check.StdOut + check.StdErr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(build, recursive: true);
        }
    }

    /// <summary>The client's sources in a temporary folder, with tools/node_modules linked in for tsc and node.</summary>
    private static string CopyClient()
    {
        var build = Directory.CreateTempSubdirectory("session-voice-client-").FullName;
        foreach (var name in new[] { "sign-in.ts", "tsconfig.json", "package.json" })
        {
            File.Copy(Path.Combine(ClientSources, name), Path.Combine(build, name));
        }
        Directory.CreateSymbolicLink(Path.Combine(build, "node_modules"), RepoPaths.NodeModules);
        return build;
    }

    private static async Task GenerateAsync(string build)
    {
        var cli = Path.Combine(RepoPaths.NodeModules, "openapi-typescript", "bin", "cli.js");
        var generated = await ProcessRunner.RunAsync("node", [cli, OpenApiContract.CommittedPath, "-o", Path.Combine(build, "openapi.d.ts")], build, timeout: ToolTimeout);
        Assert.True(generated.ExitCode == 0, $"openapi-typescript: {generated.StdOut} {generated.StdErr}");
        Assert.Contains("\"/auth/verify\"", await File.ReadAllTextAsync(Path.Combine(build, "openapi.d.ts"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private static Task<ProcessResult> TscAsync(string build, params string[] extra) =>
        ProcessRunner.RunAsync("node", [Path.Combine(RepoPaths.NodeModules, "typescript", "bin", "tsc"), "-p", build, "--strict", .. extra], build, timeout: ToolTimeout);
}
