using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Hosting;

/// <summary>
/// What an operator sees when the service cannot start: the real process, exit code 1, exactly one line on stderr
/// that names the setting and never its value, and no stack trace anywhere.
/// </summary>
public class StartupFailureTests
{
    private const string Escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    private static readonly PrivateKeySigner Host = AnvilAccounts.Signer(AnvilAccounts.Host);
    private static readonly PrivateKeySigner Guest = AnvilAccounts.Signer(AnvilAccounts.Guest);

    private static Dictionary<string, string?> MockSettings(string dataDir) => ApiHost.MockSettings(Host.Address, Guest.Address, dataDir);

    private static Dictionary<string, string?> RpcSettings(string rpcUrl)
    {
        var settings = ApiHost.BaseSettings(ApiHost.TempDataDir());
        settings["RPC_URL"] = rpcUrl;
        settings["ESCROW_ADDRESS"] = Escrow;
        return settings;
    }

    /// <summary>The line on stderr, once checked: exit 1, one line, the prefix, the setting, no value, no stack frame.</summary>
    private static string AssertOneLine(ProcessResult result, string setting, params string[] values)
    {
        var all = result.StdOut + result.StdErr;
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}: {all}");
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"stderr has {lines.Length} lines: {result.StdErr}");
        var line = lines[0];
        Assert.StartsWith("session-voice: configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains(setting, line, StringComparison.Ordinal);
        foreach (var value in values)
        {
            Assert.DoesNotContain(value, result.StdErr, StringComparison.Ordinal);
            // Secrets and URLs appear nowhere; a short value (a port, a chain id) could be part of an unrelated log line.
            if (value.Length >= 16)
            {
                Assert.DoesNotContain(value, result.StdOut, StringComparison.Ordinal);
            }
        }
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        Assert.DoesNotContain("(Other)", all, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", result.StdOut, StringComparison.Ordinal);
        return line;
    }

    [Fact]
    public async Task An_rpc_that_refuses_the_connection_is_named_with_the_reason()
    {
        // Nothing listens on a port just freed; the path stands for a provider key that must never be printed.
        var url = $"http://127.0.0.1:{LoopbackPort.Free()}/v3/provider-key-0123456789abcdef";
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(RpcSettings(url)), "RPC_URL", url, "provider-key-0123456789abcdef");
        Assert.EndsWith("RPC_URL does not answer eth_chainId: connection refused", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_rpc_that_never_answers_times_out_after_RPC_TIMEOUT_SECONDS()
    {
        // The kernel completes the connection from the backlog; nothing ever reads the request or answers it.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";
        var settings = RpcSettings(url);
        settings["RPC_TIMEOUT_SECONDS"] = "1";
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "RPC_URL", url);
        Assert.EndsWith("RPC_URL does not answer eth_chainId: timed out (no answer within RPC_TIMEOUT_SECONDS)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_rpc_url_that_answers_html_is_not_a_json_rpc_endpoint_and_is_read_only_after_the_port_is_bound()
    {
        var port = LoopbackPort.Free();
        await using var node = FakeNode.Start("text/html", "<html><body>It works!</body></html>", servicePort: port);
        var url = $"http://127.0.0.1:{node.Port}/";
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(RpcSettings(url), port), "RPC_URL", url);
        Assert.EndsWith("RPC_URL does not answer eth_chainId: not a JSON-RPC endpoint (HTTP 200 with a non-JSON body)", line, StringComparison.Ordinal);
        Assert.True(node.Requests > 0, "the node was asked");
        Assert.True(node.ServiceListenedAtFirstRequest, "the chain is read only once the service's port is bound");
    }

    [Fact]
    public async Task A_node_on_another_chain_stops_startup_naming_CHAIN_ID()
    {
        await using var chain = await EscrowChain.StartAsync();
        var settings = ApiHost.ChainSettings(chain, ApiHost.TempDataDir());
        settings["CHAIN_ID"] = "6342";
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "CHAIN_ID", chain.Anvil.RpcUrl.ToString(), "6342", AnvilAccounts.Keys[AnvilAccounts.Oracle]);
        Assert.EndsWith("CHAIN_ID does not match the chain of the RPC_URL node (6343)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_named()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(MockSettings(ApiHost.TempDataDir()), port), "PORT",
            port.ToString(CultureInfo.InvariantCulture));
        Assert.EndsWith("PORT is already in use by another process (stop it, or choose another PORT)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_dir_behind_a_file_is_named()
    {
        var file = Path.Combine(ApiHost.TempDataDir(), "not-a-directory");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var dataDir = Path.Combine(file, "data");
        // Chain mode: the store is checked before the port is bound and the node asked (nothing listens there).
        var settings = ApiHost.BaseSettings(dataDir);
        settings["RPC_URL"] = $"http://127.0.0.1:{LoopbackPort.Free()}/";
        settings["ESCROW_ADDRESS"] = Escrow;
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "DATA_DIR", dataDir, file);
        Assert.EndsWith("DATA_DIR cannot be created: a file is in the way of one of its parent directories", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_dir_the_file_system_refuses_is_named()
    {
        // procfs takes no new directories, whoever asks (root included).
        var dataDir = $"/proc/session-voice-{Guid.NewGuid():N}";
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(MockSettings(dataDir)), "DATA_DIR", dataDir);
        Assert.EndsWith("DATA_DIR cannot be created or written (the file system refuses it)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_only_data_dir_is_named()
    {
        await using var mount = await TmpfsMount.TryAsync("size=64k,ro");
        var dataDir = Path.Combine(mount.Path, "data");
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(MockSettings(dataDir)), "DATA_DIR", dataDir);
        Assert.EndsWith("DATA_DIR is on a read-only file system", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_full_data_dir_is_named()
    {
        await using var mount = await TmpfsMount.TryAsync("size=64k");
        // Every block taken: the first write of the store gets ENOSPC.
        await using (var fill = new FileStream(Path.Combine(mount.Path, "fill"), FileMode.Create))
        {
            var block = new byte[4096];
            try
            {
                while (true)
                {
                    fill.Write(block);
                    fill.Flush(flushToDisk: true);
                }
            }
            catch (IOException)
            {
            }
        }
        var dataDir = Path.Combine(mount.Path, "data");
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(MockSettings(dataDir)), "DATA_DIR", dataDir);
        Assert.EndsWith("DATA_DIR is full (no space left on its device)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_missing_settings_are_named_in_one_line()
    {
        var settings = ApiHost.BaseSettings(ApiHost.TempDataDir());
        settings.Remove("AGORA_APP_ID");
        settings.Remove("JWT_SECRET");
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "AGORA_APP_ID", "5CFd2fd1755d40ecb72977518be15d3b");
        Assert.EndsWith("AGORA_APP_ID, JWT_SECRET, RPC_URL and ESCROW_ADDRESS are required (RPC_URL and ESCROW_ADDRESS, or MOCK_ESCROW=1)", line, StringComparison.Ordinal);

        var mock = ApiHost.BaseSettings(ApiHost.TempDataDir());
        mock["MOCK_ESCROW"] = "1";
        mock.Remove("AGORA_APP_CERTIFICATE");
        line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(mock), "AGORA_APP_CERTIFICATE", "970CA35de60c44645bbae8a215061b33");
        Assert.EndsWith("AGORA_APP_CERTIFICATE, MOCK_HOST and MOCK_GUEST are required (MOCK_HOST and MOCK_GUEST with MOCK_ESCROW=1)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_agora_app_id_or_certificate_is_named_by_its_setting()
    {
        var settings = MockSettings(ApiHost.TempDataDir());
        settings["AGORA_APP_ID"] = "not-an-app-id-but-long-enough";
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "AGORA_APP_ID", "not-an-app-id-but-long-enough", "5CFd2fd1755d40ecb72977518be15d3b");
        Assert.EndsWith("AGORA_APP_ID must be 32 hex characters", line, StringComparison.Ordinal);

        settings = MockSettings(ApiHost.TempDataDir());
        settings["AGORA_APP_CERTIFICATE"] = "5CFd2fd1755d40ecb72977518be15d3"; // 31 characters of a real-looking secret
        line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "AGORA_APP_CERTIFICATE", "5CFd2fd1755d40ecb72977518be15d3");
        Assert.EndsWith("AGORA_APP_CERTIFICATE must be 32 hex characters", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_service_token_is_named()
    {
        var settings = MockSettings(ApiHost.TempDataDir());
        settings["SERVICE_TOKEN"] = "short-service-token-0123456789"; // 30 bytes
        var line = AssertOneLine(await RestartAndModeTests.RunServiceAsync(settings), "SERVICE_TOKEN", "short-service-token-0123456789");
        Assert.EndsWith("SERVICE_TOKEN must be at least 32 bytes (e.g. openssl rand -hex 32)", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// An HTTP server that answers every request with one fixed response and counts them. With a service port it
    /// also notes whether that port accepted connections when the first request came.
    /// </summary>
    private sealed class FakeNode : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly byte[] _response;
        private readonly int? _servicePort;
        private Task _loop = Task.CompletedTask;
        private int _requests;

        private FakeNode(string contentType, string body, int? servicePort)
        {
            var content = Encoding.UTF8.GetBytes(body);
            _response = [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n"), .. content];
            _servicePort = servicePort;
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Requests => Volatile.Read(ref _requests);

        public bool ServiceListenedAtFirstRequest { get; private set; }

        public static FakeNode Start(string contentType, string body, int? servicePort = null)
        {
            var node = new FakeNode(contentType, body, servicePort);
            node._listener.Start();
            node._loop = node.RunAsync();
            return node;
        }

        private async Task RunAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    await ReadRequestAsync(stream);
                    if (Interlocked.Increment(ref _requests) == 1 && _servicePort is { } port)
                    {
                        ServiceListenedAtFirstRequest = await AcceptsAsync(port);
                    }
                    await stream.WriteAsync(_response, _stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ReadRequestAsync(NetworkStream stream)
        {
            var buffer = new byte[64 * 1024];
            var read = 0;
            int headerEnd;
            while ((headerEnd = Encoding.ASCII.GetString(buffer, 0, read).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                if (n == 0)
                {
                    return;
                }
                read += n;
            }
            var headers = Encoding.ASCII.GetString(buffer, 0, headerEnd);
            var length = headers.Split("\r\n").Select(h => h.Split(':', 2)).Where(h => h.Length == 2 && h[0].Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h[1].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
            while (read < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                if (n == 0)
                {
                    return;
                }
                read += n;
            }
        }

        private static async Task<bool> AcceptsAsync(int port)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (ObjectDisposedException)
            {
            }
            catch (SocketException)
            {
            }
            _stop.Dispose();
        }
    }

    /// <summary>A small tmpfs (mount needs root or CAP_SYS_ADMIN); the test is skipped, with the reason, where it cannot be mounted.</summary>
    private sealed class TmpfsMount : IAsyncDisposable
    {
        private TmpfsMount(string path) => Path = path;

        public string Path { get; }

        public static async Task<TmpfsMount> TryAsync(string options)
        {
            var path = Directory.CreateTempSubdirectory("session-voice-tmpfs-").FullName;
            ProcessResult result;
            try
            {
                result = await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path], timeout: TimeSpan.FromSeconds(30));
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Directory.Delete(path);
                Assert.Skip($"no mount command to make a {options} tmpfs: {e.Message}");
                throw;
            }
            if (result.ExitCode != 0)
            {
                Directory.Delete(path);
                Assert.Skip($"cannot mount a {options} tmpfs here (needs root or CAP_SYS_ADMIN): {result.StdErr.Trim()}");
            }
            return new TmpfsMount(path);
        }

        public async ValueTask DisposeAsync()
        {
            await ProcessRunner.RunAsync("umount", [Path], timeout: TimeSpan.FromSeconds(30));
            Directory.Delete(Path);
        }
    }
}
