using SessionVoice.Api.Configuration;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SessionVoice.Api.Tests.Hosting;

public class RestartAndModeTests
{
    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);

    [Fact]
    public async Task A_restart_mid_session_loses_nothing()
    {
        await using var chain = await EscrowChain.StartAsync();
        var dataDir = ApiHost.TempDataDir();
        var booking = await chain.CreateBookingAsync(await chain.NowAsync() - 60);
        var message = $"heaven-session:{DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5}";
        var signIn = new { wallet = Guest.Address.ToString(), message, signature = PersonalMessage.Sign(message, Guest).ToHex() };
        string guestToken;
        string statsBefore;
        await using (var first = new ApiHost(ApiHost.ChainSettings(chain, dataDir)))
        {
            using var client = first.Client();
            guestToken = (await (await client.PostJsonAsync("/auth", signIn)).JsonAsync()).GetProperty("token").GetString()!;
            var hostToken = await client.SignInAsync(Host);
            Assert.True((await client.PostJsonAsync("/session/join", new { booking_id = booking.Id.ToString() }, hostToken)).IsSuccessStatusCode);
            Assert.True((await client.PostJsonAsync("/session/join", new { booking_id = booking.Id.ToString() }, guestToken)).IsSuccessStatusCode);
            Assert.True((await client.PostRawAsync($"/session/{booking.Id}/leave", "", guestToken)).IsSuccessStatusCode);
            statsBefore = await (await client.GetAsync($"/session/{booking.Id}/stats", guestToken)).Content.ReadAsStringAsync();
        }

        await using var second = new ApiHost(ApiHost.ChainSettings(chain, dataDir));
        using var again = second.Client();
        var statsAfterResponse = await again.GetAsync($"/session/{booking.Id}/stats", guestToken);
        Assert.True(statsAfterResponse.IsSuccessStatusCode, "the old JWT still works");
        var after = await statsAfterResponse.JsonAsync();
        var before = System.Text.Json.JsonDocument.Parse(statsBefore).RootElement;
        foreach (var field in new[] { "hostJoinedAt", "hostLeftAt", "guestJoinedAt", "guestLeftAt" })
        {
            Assert.Equal(before.GetProperty(field).ToString(), after.GetProperty(field).ToString());
        }
        Assert.Equal(before.GetProperty("guestIntervals").ToString(), after.GetProperty("guestIntervals").ToString());
        await (await again.PostJsonAsync("/auth", signIn)).AssertErrorAsync(401, "message already used");
    }

    [Fact]
    public async Task Mock_escrow_serves_booking_1_without_a_chain()
    {
        var settings = ApiHost.MockSettings(Host.Address, Guest.Address);
        await using var host = new ApiHost(settings);
        using var client = host.Client();
        var join = await client.PostJsonAsync("/session/join", new { booking_id = "1" }, await client.SignInAsync(Guest));
        var json = await join.JsonAsync();
        Assert.True(join.IsSuccessStatusCode, json.ToString());
        Assert.Equal("heaven-6343-1", json.GetProperty("channel").GetString());
        await (await client.PostJsonAsync("/session/join", new { booking_id = "2" }, await client.SignInAsync(Guest))).AssertErrorAsync(404, "booking not found");
        Assert.False((await (await client.GetAsync("/health")).JsonAsync()).GetProperty("oracleConfigured").GetBoolean());
    }

    [Fact]
    public async Task Mock_mode_starts_with_a_fresh_store_in_DATA_DIR_mock_and_leaves_the_rest_of_DATA_DIR_alone()
    {
        var dataDir = ApiHost.TempDataDir();
        // A chain-mode database in the same DATA_DIR is never touched by mock mode.
        var chainDb = Path.Combine(dataDir, "session-voice.db");
        await File.WriteAllTextAsync(chainDb, "the chain-mode store", TestContext.Current.CancellationToken);
        var settings = ApiHost.MockSettings(Host.Address, Guest.Address, dataDir);

        await using (var first = new ApiHost(settings))
        {
            using var client = first.Client();
            var token = await client.SignInAsync(Guest);
            Assert.True((await client.PostJsonAsync("/session/join", new { booking_id = "1" }, token)).IsSuccessStatusCode);
            var stats = await (await client.GetAsync("/session/1/stats", token)).JsonAsync();
            Assert.Equal(System.Text.Json.JsonValueKind.Number, stats.GetProperty("guestJoinedAt").ValueKind);
            Assert.Equal(Path.GetFullPath(Path.Combine(dataDir, "mock", "session-voice.db")), first.Services.GetRequiredService<StoreLocation>().DatabasePath);
        }

        // The synthetic booking starts anew with the process, and so does its presence.
        await using var second = new ApiHost(settings);
        using var again = second.Client();
        var fresh = await (await again.GetAsync("/session/1/stats", await again.SignInAsync(Guest))).JsonAsync();
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fresh.GetProperty("guestJoinedAt").ValueKind);
        Assert.Equal("the chain-mode store", await File.ReadAllTextAsync(chainDb, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Mock_mode_without_DATA_DIR_keeps_its_store_in_a_temporary_folder_removed_at_stop()
    {
        var settings = ApiHost.BaseSettings("unused");
        settings.Remove("DATA_DIR");
        settings["MOCK_ESCROW"] = "1";
        settings["MOCK_HOST"] = Host.Address.ToString();
        settings["MOCK_GUEST"] = Guest.Address.ToString();
        var relative = Path.GetFullPath("data");
        var existedBefore = Directory.Exists(relative);
        string folder;
        await using (var host = new ApiHost(settings))
        {
            using var client = host.Client();
            var token = await client.SignInAsync(Guest);
            Assert.True((await client.PostJsonAsync("/session/join", new { booking_id = "1" }, token)).IsSuccessStatusCode);
            var store = host.Services.GetRequiredService<StoreLocation>();
            folder = store.Directory;
            Assert.StartsWith(Path.GetFullPath(Path.GetTempPath()), Path.GetFullPath(folder), StringComparison.Ordinal);
            Assert.True(File.Exists(store.DatabasePath), store.DatabasePath);
        }
        Assert.False(Directory.Exists(folder), $"{folder} is removed when the service stops");
        // Not the working directory (in a checkout: the source tree) either.
        Assert.Equal(existedBefore, Directory.Exists(relative));
    }

    [Theory]
    [InlineData("AGORA_APP_ID", null, "AGORA_APP_ID is required")]
    [InlineData("AGORA_APP_CERTIFICATE", null, "AGORA_APP_CERTIFICATE is required")]
    [InlineData("JWT_SECRET", null, "JWT_SECRET is required")]
    [InlineData("JWT_SECRET", "short", "JWT_SECRET must be at least 32 bytes")]
    [InlineData("PORT", "70000", "PORT must be an integer in [1, 65535]")]
    [InlineData("RPC_URL", "ftp://x", "RPC_URL must be an http(s) URL")]
    [InlineData("ORACLE_PRIVATE_KEY", "0x1234", "ORACLE_PRIVATE_KEY is not a valid secp256k1 private key")]
    [InlineData("ESCROW_ADDRESS", "0x12", "ESCROW_ADDRESS must be a 0x-prefixed 20-byte address")]
    public void Missing_or_malformed_settings_stop_startup_naming_the_setting(string key, string? value, string message)
    {
        var settings = ApiHost.BaseSettings("/tmp/unused");
        settings["RPC_URL"] = "http://127.0.0.1:1";
        settings["ESCROW_ADDRESS"] = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
        settings[key] = value;
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var error = Assert.Throws<ConfigurationException>(() => ServiceSettings.Load(config));
        Assert.Equal(message, error.Message);
        if (value is { Length: > 4 })
        {
            Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>The service as a process with these settings only, on <paramref name="port"/> (a free one by default).</summary>
    internal static async Task<ProcessResult> RunServiceAsync(IDictionary<string, string?> settings, int? port = null)
    {
        // The real entry point, as a process: what an operator sees on a bad configuration.
        var dll = Path.Combine(AppContext.BaseDirectory, "SessionVoice.Api.dll");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(dll);
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH");
        info.Environment["HOME"] = Environment.GetEnvironmentVariable("HOME");
        info.Environment["DOTNET_ROOT"] = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        foreach (var (key, value) in settings)
        {
            info.Environment[key] = value;
        }
        info.Environment["PORT"] = (port ?? LoopbackPort.Free()).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // A start-up that should have failed is serving: stop it, and say so.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the service did not exit within 60 s: {await stderr} {await stdout}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task In_dapr_mode_a_sidecar_that_never_answers_stops_startup_with_one_line()
    {
        var settings = ApiHost.MockSettings(Host.Address, Guest.Address);
        settings["SessionVoice__Runtime"] = "Dapr";
        settings["SessionVoice__SidecarTimeoutSeconds"] = "2";
        // Nothing listens on port 9: the sidecar never comes.
        settings["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:9";
        settings["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:9";
        var result = await RunServiceAsync(settings);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("session-voice: configuration error: the Dapr sidecar did not answer within 2 s (start with `dapr run -f .`, or set SessionVoice:Runtime=Standalone)", result.StdErr.Trim());
    }

    [Fact]
    public async Task A_missing_secret_stops_startup_with_one_line()
    {
        var settings = ApiHost.BaseSettings(ApiHost.TempDataDir());
        settings.Remove("JWT_SECRET");
        settings["MOCK_ESCROW"] = "1";
        settings["MOCK_HOST"] = Host.Address.ToString();
        settings["MOCK_GUEST"] = Guest.Address.ToString();
        var result = await RunServiceAsync(settings);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("session-voice: configuration error: JWT_SECRET is required", result.StdErr.Trim());
        Assert.DoesNotContain("5CFd2fd1755d40ecb72977518be15d3b", result.StdOut + result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_is_rate_limited_and_cors_follows_the_configuration()
    {
        var settings = ApiHost.MockSettings(Host.Address, Guest.Address);
        settings["AUTH_RATE_LIMIT_PER_MINUTE"] = "3";
        settings["CORS_ORIGINS"] = "https://app.example";
        await using var host = new ApiHost(settings);
        using var client = host.Client();
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).IsSuccessStatusCode);
        }
        await (await client.PostJsonAsync("/auth/nonce", new { wallet = Guest.Address.ToString() })).AssertErrorAsync(429, "too many requests");
        Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode);

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/session/join");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var allowed = await client.SendAsync(preflight);
        Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var other = new HttpRequestMessage(HttpMethod.Options, "/session/join");
        other.Headers.Add("Origin", "https://evil.example");
        other.Headers.Add("Access-Control-Request-Method", "POST");
        Assert.False((await client.SendAsync(other)).Headers.Contains("Access-Control-Allow-Origin"));
    }
}
