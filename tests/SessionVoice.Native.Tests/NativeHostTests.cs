using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SessionVoice.Api.Tests;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Tests.Agora;
using SessionVoice.Testing;

namespace SessionVoice.Native.Tests;

/// <summary>
/// The ahead-of-time compiled standalone host (no JIT, no reflection-based JSON, the Dapr SDK
/// compiled out) is the same service: it answers a full client script exactly as the JIT build
/// does, issues tokens Agora's own library agrees with, and settles a session on chain by itself,
/// exactly once across a restart.
/// </summary>
public sealed partial class NativeHostTests(NativeBuild build, ITestOutputHelper output)
{
    private const string AppId = "970CA35de60c44645bbae8a215061b33";
    private const string AppCertificate = "5CFd2fd1755d40ecb72977518be15d3b";
    private const string JwtSecret = "native-test-jwt-secret-that-is-long-enough-0123";
    private const string ServiceToken = "native-test-service-token-0123456789";

    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
    private static readonly PrivateKeySigner Stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger);

    private IReadOnlyList<string> Native => [build.Executable];

    private static IReadOnlyList<string> Jit => ["dotnet", NativeBuild.JitDll];

    private static Dictionary<string, string> Settings(string dataDir) => new()
    {
        ["AGORA_APP_ID"] = AppId,
        ["AGORA_APP_CERTIFICATE"] = AppCertificate,
        ["JWT_SECRET"] = JwtSecret,
        ["SERVICE_TOKEN"] = ServiceToken,
        ["AGORA_WEBHOOK_SECRET"] = Webhooks.Secret,
        ["DATA_DIR"] = dataDir,
        ["AUTH_RATE_LIMIT_PER_MINUTE"] = "100000",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static Dictionary<string, string> MockSettings(string dataDir)
    {
        var settings = Settings(dataDir);
        settings["MOCK_ESCROW"] = "1";
        settings["MOCK_HOST"] = Host.Address.ToString();
        settings["MOCK_GUEST"] = Guest.Address.ToString();
        return settings;
    }

    [Fact]
    public void The_native_build_compiles_without_trim_or_AOT_warnings()
    {
        // A reflection-based serializer call, an untyped Results.Json or a Dapr call outside the
        // dynamic-code branch shows up here as IL2026/IL3050 (and as a 500 at run time).
        var warnings = build.PublishOutput.Split('\n').Where(l => l.Contains("warning IL", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, string.Join('\n', warnings));
    }

    [Fact]
    public void The_native_executable_carries_its_4_MiB_gen0_budget_built_in()
    {
        // The ILCompiler's embedded settings, read by the native runtime when the environment does not set
        // DOTNET_GCgen0size: name and value, each NUL-terminated, the value in hex digits (0x400000 = 4 MiB).
        var executable = File.ReadAllBytes(build.Executable);
        Assert.True(executable.AsSpan().IndexOf("GCgen0size\0400000\0"u8) >= 0, "no GCgen0size=400000 in the native executable's embedded settings");
    }

    /// <summary>
    /// The native runtime reads DOTNET_ knobs as bare hex digits and ignores a value with a 0x prefix, silently (the JIT
    /// runtime takes both): measured with DOTNET_GCgen0size, 0x400000 left the default gen0 budget and ~16 MB more
    /// resident under the join load. Every script and manifest that starts the service writes them bare.
    /// </summary>
    [Fact]
    public void Runtime_knobs_are_written_without_a_0x_prefix_wherever_the_service_is_started()
    {
        var files = new[] { "run.sh", "Dockerfile", "test.sh" }.Select(f => Path.Combine(RepoPaths.Root, f)).Where(File.Exists)
            .Concat(Directory.GetFiles(Path.Combine(RepoPaths.Root, "bench"), "*.sh"))
            .Concat(Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy"), "*.yaml", SearchOption.AllDirectories))
            .ToList();
        Assert.Contains(files, f => Path.GetFileName(f) == "run.sh");
        var knobs = 0;
        var prefixed = new List<string>();
        foreach (var file in files)
        {
            foreach (Match knob in RuntimeKnob().Matches(File.ReadAllText(file)))
            {
                knobs++;
                if (knob.Groups["value"].Value.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                {
                    prefixed.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}: {knob.Value}");
                }
            }
        }
        Assert.True(knobs > 0, "no DOTNET_GC knob found: the pattern no longer matches how the scripts set them");
        Assert.True(prefixed.Count == 0, string.Join('\n', prefixed));
    }

    // DOTNET_GC…=V, DOTNET_GC…=${DOTNET_GC…:-V}, and a manifest's `name: DOTNET_GC…` followed by `value: "V"`.
    [GeneratedRegex("""DOTNET_GC\w+(?:=\$\{DOTNET_GC\w+:-|=|"?\s*\n\s*value:\s*)"?(?<value>[0-9A-Za-z]+)""")]
    private static partial Regex RuntimeKnob();

    [Fact]
    public async Task Answers_a_full_client_script_exactly_as_the_JIT_build_does()
    {
        using var data = new TempFolder();
        List<Exchange> jit, native;
        await using (var service = await ServiceProcess.StartAsync(Jit, MockSettings(data.Sub("jit"))))
        {
            jit = await ClientScriptAsync(service.Client);
        }
        await using (var service = await ServiceProcess.StartAsync(Native, MockSettings(data.Sub("native"))))
        {
            native = await ClientScriptAsync(service.Client);
        }

        Assert.Equal(jit.Count, native.Count);
        for (var i = 0; i < jit.Count; i++)
        {
            output.WriteLine($"{native[i].Request} -> {native[i].Status} {Shorten(native[i].Masked)}");
            Assert.True(native[i].Status < 500, $"{native[i].Request}: {native[i].Status} {native[i].Body}");
            Assert.Equal(jit[i].Request, native[i].Request);
            Assert.Equal((jit[i].Status, jit[i].ContentType), (native[i].Status, native[i].ContentType));
            Assert.Equal(jit[i].Masked, native[i].Masked);
        }
        // The script reaches what it means to: sign-ins, both joins, the webhook stored, the replay not.
        Assert.Equal(200, native.Single(e => e.Request == "POST /session/join host").Status);
        Assert.Equal(200, native.Single(e => e.Request == "POST /session/join guest").Status);
        Assert.Equal(403, native.Single(e => e.Request == "POST /session/join stranger").Status);
        Assert.Contains("\"stored\":true", native.Single(e => e.Request == "POST /webhooks/agora host joined").Body, StringComparison.Ordinal);
        Assert.Contains("\"stored\":false", native.Single(e => e.Request == "POST /webhooks/agora replayed").Body, StringComparison.Ordinal);
        Assert.Equal(401, native.Single(e => e.Request == "POST /auth replayed").Status);
        Assert.Contains("\"openapi\"", native.Single(e => e.Request == "GET /openapi/v1.json").Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issues_AccessToken2_tokens_that_agora_token_builds_identically()
    {
        using var data = new TempFolder();
        await using var service = await ServiceProcess.StartAsync(Native, MockSettings(data.Path));
        var join = await PostJsonAsync(service.Client, "/session/join", """{"booking_id":"1"}""", await SignInAsync(service.Client, Guest));
        Assert.Equal(HttpStatusCode.OK, join.StatusCode);
        using var body = JsonDocument.Parse(await join.Content.ReadAsStringAsync());
        var channel = body.RootElement.GetProperty("channel").GetString()!;
        var uid = body.RootElement.GetProperty("user_uid").GetUInt32();
        Assert.Equal(AgoraUid.ForParticipants(Host.Address, Guest.Address).Guest, uid);
        Assert.Equal("heaven-6343-1", channel);

        var token = DecodedToken.Parse(body.RootElement.GetProperty("agora_token").GetString()!);
        Assert.True(token.SignatureValidFor(AppCertificate));
        Assert.Equal(AppId, token.AppId);
        Assert.Equal([channel, uid.ToString(CultureInfo.InvariantCulture)], token.Rtc.Strings);
        Assert.Equal(body.RootElement.GetProperty("expires_at").GetInt64(), (long)token.IssueTs + token.Expire);

        // agora-token 2.0.6 (npm) given the same fields builds the same signed content.
        var input = JsonSerializer.Serialize(new
        {
            appId = AppId,
            appCertificate = AppCertificate,
            channel,
            uid,
            issueTs = token.IssueTs,
            salt = token.Salt,
            expire = token.Expire,
            privileges = token.Rtc.Privileges.ToDictionary(p => p.Id.ToString(CultureInfo.InvariantCulture), p => p.Expire),
        });
        var theirs = (await ProcessRunner.RunAsync("node", [Path.Combine(RepoPaths.Tools, "agora-token-oracle.js")], stdin: input + "\n"))
            .EnsureSuccess("agora-token-oracle.js");
        Assert.Equal(DecodedToken.Inflate(theirs), token.Content);
    }

    [Fact]
    public async Task Settles_a_completed_session_on_chain_by_itself_exactly_once_across_a_restart()
    {
        await using var chain = await EscrowChain.StartAsync();
        using var data = new TempFolder();
        // A 30-minute session that began 15 minutes ago on both clocks (the fixture books it with the
        // chain's clock taken back, then restored): with both parties in the channel since its start it is due now.
        var now = await chain.NowAsync();
        var booking = await chain.CreateBookingAsync(now - 15 * 60, durationMins: 30, graceMins: 2, minOverlapMins: 3);
        var settings = Settings(data.Path);
        settings["RPC_URL"] = chain.Anvil.RpcUrl.ToString();
        settings["ESCROW_ADDRESS"] = chain.EscrowAddress.ToString();
        settings["ORACLE_PRIVATE_KEY"] = AnvilAccounts.Keys[AnvilAccounts.Oracle];
        settings["CHAIN_ID"] = "6343";
        settings["SCHEDULER_INTERVAL_MS"] = "100";
        settings["WATCH_INTERVAL_SECONDS"] = "1";

        var service = await ServiceProcess.StartAsync(Native, settings);
        string hostToken;
        try
        {
            hostToken = await SignInAsync(service.Client, Host);
            // Agora's webhooks: both joined at the start (event times, signed with the NCS secret).
            var (hostUid, guestUid) = AgoraUid.ForParticipants(booking.Host, booking.Guest);
            var channel = $"heaven-6343-{booking.Id}";
            foreach (var (uid, ts) in new[] { (hostUid, booking.StartTime - 30), (guestUid, booking.StartTime + 10) })
            {
                var ack = await Webhooks.PostAsync(service.Client, Webhooks.Body(103, channel, uid, ts));
                Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
                Assert.Contains("\"stored\":true", await ack.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            }

            var onChain = (await WaitForAsync(() => chain.Escrow.GetBookingAsync(booking.Id), b => b is { Status: not BookingStatus.Booked }, service))!;
            Assert.Equal(Outcome.Completed, onChain.OracleOutcome);
            var stats = await WaitForAsync(() => StatsAsync(service.Client, booking.Id, hostToken),
                s => s.GetProperty("attestation") is { ValueKind: JsonValueKind.Object } a && a.GetProperty("status").GetString() == "mined", service);
            var metrics = stats.GetProperty("metrics");
            Assert.Equal(onChain.MetricsHash.ToString(), metrics.GetProperty("hash").GetString());
            Assert.Equal(onChain.MetricsHash, Keccak256.Hash(Hex.Decode(metrics.GetProperty("preimage").GetString()!)));
            var txHash = stats.GetProperty("attestation").GetProperty("tx_hash").GetString()!;
            Assert.True((await chain.Anvil.Eth.GetTransactionReceiptAsync(Hash32.Parse(txHash)))!.Succeeded);
            var nonce = await OracleNonceAsync(chain);
            Assert.Equal(0, await service.StopAsync());
            await service.DisposeAsync();

            // A restart reads the persisted record (AttestationTxJson) and sends nothing again.
            service = await ServiceProcess.StartAsync(Native, settings);
            var sweep = await service.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/attest-sweep") { Headers = { { "X-Service-Token", ServiceToken } } });
            Assert.Equal(HttpStatusCode.OK, sweep.StatusCode);
            var attest = await service.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/session/{booking.Id}/attest") { Headers = { { "X-Service-Token", ServiceToken } } });
            var attestBody = await attest.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, attest.StatusCode);
            using var attested = JsonDocument.Parse(attestBody);
            Assert.Equal("completed", attested.RootElement.GetProperty("outcome").GetString());
            Assert.Equal(txHash, attested.RootElement.GetProperty("tx_hash").GetString());
            var after = await StatsAsync(service.Client, booking.Id, await SignInAsync(service.Client, Guest));
            Assert.Equal(txHash, after.GetProperty("attestation").GetProperty("tx_hash").GetString());
            Assert.Equal(nonce, await OracleNonceAsync(chain));
        }
        finally
        {
            output.WriteLine(service.Output);
            await service.DisposeAsync();
        }
    }

    [Fact]
    public async Task Refuses_Dapr_mode_with_a_configuration_error_naming_no_secret()
    {
        using var data = new TempFolder();
        var settings = MockSettings(data.Path);
        settings["DAPR_HTTP_PORT"] = "3500";
        var result = await ServiceProcess.RunToExitAsync(Native, settings);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("configuration error: Dapr mode needs the JIT build", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(JwtSecret, result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(AppCertificate, result.StdOut, StringComparison.OrdinalIgnoreCase);
    }

    private sealed record Exchange(string Request, int Status, string? ContentType, string Body, string Masked);

    /// <summary>
    /// What the web and Android clients do, and what a hostile caller tries, in one fixed order.
    /// Each answer is kept with the values that differ between two runs masked (tokens, nonces,
    /// unix times, durations measured in wall-clock time, hashes of those).
    /// </summary>
    private static async Task<List<Exchange>> ClientScriptAsync(HttpClient client)
    {
        var log = new List<Exchange>();
        async Task<string> Send(string label, HttpMethod method, string path, string? body = null, string? bearer = null, string? contentType = "application/json", (string, string)? header = null)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
            }
            if (bearer is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }
            if (header is var (name, value))
            {
                request.Headers.Add(name, value);
            }
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            log.Add(new Exchange(label, (int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), text, Mask(text)));
            return text;
        }

        static string SignedAuth(PrivateKeySigner who, string message) =>
            JsonSerializer.Serialize(new { wallet = who.Address.ToString(), message, signature = PersonalMessage.Sign(message, who).ToHex() });
        static string Field(string json, string name) => JsonDocument.Parse(json).RootElement.GetProperty(name).GetString()!;

        var message = $"heaven-session:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}";
        await Send("GET /health", HttpMethod.Get, "/health");
        await Send("GET /health/ready", HttpMethod.Get, "/health/ready");
        await Send("GET /nope", HttpMethod.Get, "/nope");
        await Send("PUT /health", HttpMethod.Put, "/health", "{}");
        await Send("POST /auth malformed", HttpMethod.Post, "/auth", "{bad");
        await Send("POST /auth wrong types", HttpMethod.Post, "/auth", """{"wallet":1,"message":[],"signature":{}}""");
        await Send("POST /auth huge number", HttpMethod.Post, "/auth", """{"wallet":1e999999,"message":"x","signature":"0x"}""");
        await Send("POST /auth not json", HttpMethod.Post, "/auth", "wallet=1", contentType: "text/plain");
        await Send("POST /auth expired", HttpMethod.Post, "/auth", SignedAuth(Host, "heaven-session:1"));
        await Send("POST /auth bad signature", HttpMethod.Post, "/auth",
            JsonSerializer.Serialize(new { wallet = Host.Address.ToString(), message, signature = "0x" + new string('1', 130) }));
        var hostToken = Field(await Send("POST /auth host", HttpMethod.Post, "/auth", SignedAuth(Host, message)), "token");
        await Send("POST /auth replayed", HttpMethod.Post, "/auth", SignedAuth(Host, message));
        var nonce = Field(await Send("POST /auth/nonce", HttpMethod.Post, "/auth/nonce", JsonSerializer.Serialize(new { wallet = Guest.Address.ToString() })), "nonce");
        await Send("POST /auth/nonce wrong type", HttpMethod.Post, "/auth/nonce", """{"wallet":1}""");
        await Send("POST /auth/verify empty", HttpMethod.Post, "/auth/verify", "{}");
        var guestToken = Field(await Send("POST /auth/verify guest", HttpMethod.Post, "/auth/verify",
            JsonSerializer.Serialize(new { wallet = Guest.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, Guest).ToHex() })), "token");
        var strangerToken = Field(await Send("POST /auth stranger", HttpMethod.Post, "/auth", SignedAuth(Stranger, message)), "token");
        await Send("POST /session/join anonymous", HttpMethod.Post, "/session/join", """{"booking_id":"1"}""");
        await Send("POST /session/join forged bearer", HttpMethod.Post, "/session/join", """{"booking_id":"1"}""", bearer: hostToken[..^4] + "AAAA");
        var hostJoin = await Send("POST /session/join host", HttpMethod.Post, "/session/join", """{"booking_id":"1"}""", hostToken);
        await Send("POST /session/join guest", HttpMethod.Post, "/session/join", """{"booking_id":"1"}""", guestToken);
        await Send("POST /session/join stranger", HttpMethod.Post, "/session/join", """{"booking_id":"1"}""", strangerToken);
        await Send("POST /session/join unknown booking", HttpMethod.Post, "/session/join", """{"booking_id":"999"}""", hostToken);
        await Send("POST /session/join bad id", HttpMethod.Post, "/session/join", """{"booking_id":"-1"}""", hostToken);
        await Send("POST /session/join id too large", HttpMethod.Post, "/session/join", """{"booking_id":"1157920892373161954235709850086879078532699846656405640394575840079131296399360"}""", hostToken);
        await Send("POST /session/1/token host", HttpMethod.Post, "/session/1/token", bearer: hostToken);
        await Send("GET /session/1/stats host", HttpMethod.Get, "/session/1/stats", bearer: hostToken);
        await Send("GET /session/1/stats stranger", HttpMethod.Get, "/session/1/stats", bearer: strangerToken);

        var hostUid = JsonDocument.Parse(hostJoin).RootElement.GetProperty("user_uid").GetUInt32();
        var notice = Webhooks.Body(103, "heaven-6343-1", hostUid, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, clientSeq: 7, noticeId: "native-1");
        await Send("POST /webhooks/agora unsigned", HttpMethod.Post, "/webhooks/agora", notice);
        await Send("POST /webhooks/agora forged", HttpMethod.Post, "/webhooks/agora", notice, header: ("Agora-Signature-V2", Webhooks.Sign(notice, "not-the-secret")));
        await Send("POST /webhooks/agora host joined", HttpMethod.Post, "/webhooks/agora", notice, header: ("Agora-Signature-V2", Webhooks.Sign(notice)));
        await Send("POST /webhooks/agora replayed", HttpMethod.Post, "/webhooks/agora", notice, header: ("Agora-Signature-V2", Webhooks.Sign(notice)));
        var other = Webhooks.Body(103, "someone-else", 42, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), clientSeq: 8, noticeId: "native-2");
        await Send("POST /webhooks/agora other channel", HttpMethod.Post, "/webhooks/agora", other, header: ("Agora-Signature-V2", Webhooks.Sign(other)));
        await Send("POST /session/1/leave guest", HttpMethod.Post, "/session/1/leave", bearer: guestToken);
        await Send("GET /session/1/stats guest", HttpMethod.Get, "/session/1/stats", bearer: guestToken);
        await Send("POST /session/1/attest no token", HttpMethod.Post, "/session/1/attest");
        await Send("POST /session/1/attest wrong token", HttpMethod.Post, "/session/1/attest", header: ("X-Service-Token", "wrong"));
        await Send("POST /session/1/attest", HttpMethod.Post, "/session/1/attest", header: ("X-Service-Token", ServiceToken));
        await Send("POST /attest-sweep", HttpMethod.Post, "/attest-sweep", header: ("X-Service-Token", ServiceToken));
        await Send("GET /openapi/v1.json", HttpMethod.Get, "/openapi/v1.json");
        return log;
    }

    private static readonly HashSet<string> Volatile = ["token", "agora_token", "nonce", "duration_ms", "preimage", "hash", "expires_at", "startTime", "endTime", "from", "to", "until"];

    private static string Mask(string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return text;
        }
        return node is null ? "null" : MaskNode(node, null)!.ToJsonString();
    }

    private static JsonNode? MaskNode(JsonNode node, string? name)
    {
        switch (node)
        {
            case JsonObject o:
                var masked = new JsonObject();
                foreach (var (key, child) in o)
                {
                    masked[key] = child is null ? null : MaskNode(child, key);
                }
                return masked;
            case JsonArray a:
                return new JsonArray([.. a.Select(v => v is null ? null : MaskNode(v, name))]);
            default:
                var value = (JsonValue)node;
                if (name is not null && (Volatile.Contains(name) || name.EndsWith("Seconds", StringComparison.Ordinal) || name.EndsWith("At", StringComparison.Ordinal)))
                {
                    return JsonValue.Create("<" + name + ">");
                }
                return value.TryGetValue<string>(out var s) ? JsonValue.Create(Ports().Replace(UnixTimes().Replace(s, "<time>"), "127.0.0.1:<port>")) : value.DeepClone();
        }
    }

    [GeneratedRegex("[0-9]{10}")]
    private static partial Regex UnixTimes();

    [GeneratedRegex("127\\.0\\.0\\.1:[0-9]+")]
    private static partial Regex Ports();

    private static string Shorten(string s) => s.Length <= 160 ? s : s[..160] + "…";

    private static async Task<string> SignInAsync(HttpClient client, PrivateKeySigner who)
    {
        var message = $"heaven-session:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}";
        var response = await PostJsonAsync(client, "/auth",
            JsonSerializer.Serialize(new { wallet = who.Address.ToString(), message, signature = PersonalMessage.Sign(message, who).ToHex() }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    private static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, string json, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return client.SendAsync(request);
    }

    private static async Task<JsonElement> StatsAsync(HttpClient client, BookingId id, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/session/{id}/stats");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static Task<ulong> OracleNonceAsync(EscrowChain chain) => chain.Anvil.Eth.GetTransactionCountAsync(EscrowChain.Oracle, BlockTag.Latest);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds (30 s at most).</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, ServiceProcess service)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("the native service did not get there in 30 s:\n" + service.Output);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("session-voice-native-data-").FullName;

        public string Sub(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
