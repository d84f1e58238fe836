using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Ethereum;

/// <summary>One anvil for the class; every test gets its own proxy in front of it.</summary>
public sealed class ProxiedAnvilFixture : IAsyncLifetime
{
    private Anvil? _anvil;

    public Anvil Anvil => _anvil ?? throw new InvalidOperationException("fixture not initialised");

    public async ValueTask InitializeAsync() => _anvil = await Anvil.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_anvil is not null)
        {
            await _anvil.DisposeAsync();
        }
    }
}

/// <summary>What our own JSON-RPC client meets through <see cref="RpcFaultProxy"/> for each fault, and that healing restores service on the same URL.</summary>
public sealed class RpcFaultProxyTests(ProxiedAnvilFixture fixture) : IClassFixture<ProxiedAnvilFixture>, IAsyncLifetime
{
    private RpcFaultProxy? _proxy;
    private HttpClient? _http;

    private RpcFaultProxy Proxy => _proxy!;

    private Anvil Anvil => fixture.Anvil;

    public async ValueTask InitializeAsync() => _proxy = await RpcFaultProxy.StartAsync(fixture.Anvil.RpcUrl);

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }

    /// <summary>A client through the proxy; its HttpClient keeps connections alive, as the service's does.</summary>
    private EthClient Client(TimeSpan? timeout = null)
    {
        _http?.Dispose();
        _http = new HttpClient(new SocketsHttpHandler()) { Timeout = timeout ?? TimeSpan.FromSeconds(10) };
        return new EthClient(new JsonRpcClient(_http, Proxy.Url));
    }

    private static async Task<(RpcException Error, TimeSpan Elapsed)> FailsAsync(Func<Task> call)
    {
        var started = Stopwatch.GetTimestamp();
        var error = await Assert.ThrowsAsync<RpcException>(call);
        return (error, Stopwatch.GetElapsedTime(started));
    }

    private static Task WaitUntilAsync(Func<bool> condition) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(5), "the condition met");

    [Fact]
    public async Task Refused_connections_fail_at_once_and_healing_listens_on_the_same_url()
    {
        var eth = Client();
        var url = Proxy.Url;
        var chainId = await eth.ChainIdAsync(); // leaves a pooled keep-alive connection

        await Proxy.RefuseAsync();
        Assert.False(Proxy.IsListening);
        var (error, elapsed) = await FailsAsync(() => eth.ChainIdAsync());
        Assert.Equal(RpcErrorKind.Transport, error.Kind);
        Assert.True(elapsed < TimeSpan.FromSeconds(0.5), $"refusal took {elapsed}");
        using (var tcp = new TcpClient())
        {
            var refused = await Assert.ThrowsAsync<SocketException>(() => tcp.ConnectAsync(IPAddress.Loopback, url.Port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        await Proxy.HealAsync(RpcFault.Refuse);
        Assert.Equal(url, Proxy.Url);
        Assert.Equal(chainId, await eth.ChainIdAsync());
    }

    [Fact]
    public async Task Refusing_drops_a_request_in_flight_and_a_timed_refusal_heals_itself()
    {
        var eth = Client();
        await eth.BlockNumberAsync();
        Proxy.BlackHole();
        var held = eth.BlockNumberAsync();
        await WaitUntilAsync(() => Proxy.Faulted(RpcFault.BlackHole) == 1);

        var started = Stopwatch.GetTimestamp();
        await Proxy.RefuseAsync(TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAsync<RpcException>(() => held);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(0.5), "the held request was not dropped");
        Assert.Equal(RpcErrorKind.Transport, error.Kind);
        Assert.Equal(1, Proxy.Faulted(RpcFault.Refuse, "eth_blockNumber"));

        await Proxy.HealAsync(RpcFault.BlackHole);
        await WaitUntilAsync(() => Proxy.IsListening);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(300));
        await eth.BlockNumberAsync();
    }

    [Fact]
    public async Task A_black_hole_lets_the_clients_timeout_fire_and_never_answers_later()
    {
        var eth = Client(timeout: TimeSpan.FromMilliseconds(300));
        Proxy.BlackHole();
        var (error, elapsed) = await FailsAsync(() => eth.ChainIdAsync());
        Assert.Equal(RpcErrorKind.Timeout, error.Kind);
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(2));
        Assert.Equal(0, Proxy.Forwarded("eth_chainId"));
        Assert.Equal(1, Proxy.Faulted(RpcFault.BlackHole, "eth_chainId"));

        // A patient client: healing does not answer what is already held.
        using var patient = new HttpClient();
        using var cancel = new CancellationTokenSource();
        using var body = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", Encoding.UTF8, "application/json");
        var held = patient.PostAsync(Proxy.Url, body, cancel.Token);
        await WaitUntilAsync(() => Proxy.Faulted(RpcFault.BlackHole) == 2);
        await Proxy.HealAsync(RpcFault.BlackHole);
        Assert.Equal(Anvil.DefaultChainId, await eth.ChainIdAsync());
        await Task.Delay(100);
        Assert.False(held.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        Assert.Equal(1, Proxy.Forwarded("eth_chainId"));
    }

    [Fact]
    public async Task A_delay_answers_after_at_least_the_delay_and_healing_answers_at_once()
    {
        var eth = Client();
        await eth.BlockNumberAsync();
        Proxy.Delay(TimeSpan.FromMilliseconds(400));
        var started = Stopwatch.GetTimestamp();
        await eth.BlockNumberAsync();
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(400), "answered before the delay");
        Assert.Equal(2, Proxy.Forwarded("eth_blockNumber"));
        Assert.Equal(1, Proxy.Faulted(RpcFault.Delay));

        await Proxy.HealAsync(RpcFault.Delay);
        started = Stopwatch.GetTimestamp();
        await eth.BlockNumberAsync();
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromMilliseconds(300), "still delayed after healing");
    }

    [Fact]
    public async Task A_method_error_reaches_the_client_other_methods_still_work_and_counts_run_out()
    {
        var eth = Client();
        Proxy.Fail("eth_chainId", -32000, "insufficient funds for gas * price + value");
        Proxy.Fail("eth_gasPrice", -32005, "daily request count exceeded", times: 1);

        var error = await Assert.ThrowsAsync<RpcException>(() => eth.ChainIdAsync());
        Assert.Equal(-32000, error.Error.Code);
        Assert.Equal("insufficient funds for gas * price + value", error.Error.Message);
        Assert.Equal(RpcErrorKind.InsufficientFunds, error.Kind);
        await eth.BlockNumberAsync();

        Assert.Equal(RpcErrorKind.RateLimited, (await Assert.ThrowsAsync<RpcException>(() => eth.GasPriceAsync())).Kind);
        Assert.True(await eth.GasPriceAsync() > 0);
        Assert.Equal(0, Proxy.Forwarded("eth_chainId"));
        Assert.Equal(1, Proxy.Forwarded("eth_gasPrice"));

        await Proxy.HealAsync(RpcFault.Error);
        Assert.Equal(Anvil.DefaultChainId, await eth.ChainIdAsync());
        Assert.Equal(1, Proxy.Faulted(RpcFault.Error, "eth_chainId"));
        Assert.Equal(1, Proxy.Faulted(RpcFault.Error, "eth_gasPrice"));
    }

    [Fact]
    public async Task In_a_batch_only_the_failing_elements_get_the_error_and_answers_keep_their_order_and_ids()
    {
        var eth = Client();
        Proxy.Fail("eth_chainId", -32000, "insufficient funds for gas * price + value");
        var guest = AnvilAccounts.Address(AnvilAccounts.Guest);
        var answers = await eth.Rpc.SendBatchAsync(
        [
            new RpcRequest("eth_blockNumber"),
            new RpcRequest("eth_chainId"),
            new RpcRequest("eth_getBalance", guest.ToString(), "latest"),
        ], default);
        Assert.NotNull(answers[0].Result);
        Assert.Equal(RpcErrorKind.InsufficientFunds, answers[1].Error?.Kind);
        Assert.True(Hex.DecodeQuantity(answers[2].Result!.Value.GetString()) > BigInteger.Zero);
        Assert.Equal(1, Proxy.Forwarded("eth_blockNumber"));
        Assert.Equal(1, Proxy.Forwarded("eth_getBalance"));
        Assert.Equal(0, Proxy.Forwarded("eth_chainId"));

        // On the wire: one answer per element, in request order, each with its own id (any JSON value).
        using var raw = new HttpClient();
        using var body = new StringContent(
            """[{"jsonrpc":"2.0","id":"a","method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]},{"jsonrpc":"2.0","id":"c","method":"eth_chainId","params":[]}]""",
            Encoding.UTF8,
            "application/json");
        using var response = await raw.PostAsync(Proxy.Url, body);
        var merged = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(["\"a\"", "7", "\"c\""], merged.Select(a => a!["id"]!.ToJsonString()));
        Assert.Equal(-32000, (long)merged[0]!["error"]!["code"]!);
        Assert.NotNull(merged[1]!["result"]);
        Assert.Equal("insufficient funds for gas * price + value", (string)merged[2]!["error"]!["message"]!);
    }

    [Fact]
    public async Task Http_429_is_rate_limiting_to_the_client_with_retry_after_and_can_be_limited_to_methods()
    {
        var eth = Client();
        Proxy.RateLimit(TimeSpan.FromSeconds(1.5));
        Assert.Equal(RpcErrorKind.RateLimited, (await Assert.ThrowsAsync<RpcException>(() => eth.ChainIdAsync())).Kind);
        using (var raw = new HttpClient())
        using (var body = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", Encoding.UTF8, "application/json"))
        using (var response = await raw.PostAsync(Proxy.Url, body))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        }
        Assert.Equal(0, Proxy.Forwarded("eth_chainId"));

        Proxy.RateLimit(TimeSpan.FromSeconds(1), ["eth_getBalance"]);
        Assert.Equal(Anvil.DefaultChainId, await eth.ChainIdAsync());
        var guest = AnvilAccounts.Address(AnvilAccounts.Guest);
        Assert.Equal(RpcErrorKind.RateLimited, (await Assert.ThrowsAsync<RpcException>(() => eth.GetBalanceAsync(guest))).Kind);

        await Proxy.HealAsync(RpcFault.RateLimit);
        Assert.True(await eth.GetBalanceAsync(guest) > 0);
        Assert.Equal(3, Proxy.Faulted(RpcFault.RateLimit));
    }

    [Fact]
    public async Task A_lost_answer_fails_the_client_yet_the_transaction_reached_the_node()
    {
        var eth = Client();
        var signer = AnvilAccounts.Signer(AnvilAccounts.Stranger);
        var nonce = await eth.GetTransactionCountAsync(signer.Address, BlockTag.Pending);
        var gasPrice = await eth.GasPriceAsync(); // leaves a pooled connection, the case where a client might resend
        SignedTransaction Transfer(ulong n) =>
            new Eip1559Transaction(Anvil.DefaultChainId, n, 1, gasPrice * 2, 21_000, AnvilAccounts.Address(AnvilAccounts.Host), 1, []).Sign(signer);

        Proxy.LoseAnswer("eth_sendRawTransaction", times: 1);
        var lost = Transfer(nonce);
        var error = await Assert.ThrowsAsync<RpcException>(() => eth.SendRawTransactionAsync(lost));
        Assert.Equal(RpcErrorKind.Transport, error.Kind);
        Assert.Equal(1, Proxy.Forwarded("eth_sendRawTransaction"));
        Assert.Equal(1, Proxy.Faulted(RpcFault.LoseAnswer, "eth_sendRawTransaction"));

        // anvil automines: the transaction is in a block and the nonce moved on, though the client never heard.
        Assert.True((await Anvil.WaitForReceiptAsync(lost.Hash, TimeSpan.FromSeconds(5))).Succeeded);
        Assert.Equal(nonce + 1, await Anvil.Eth.GetTransactionCountAsync(signer.Address, BlockTag.Latest));

        // The count ran out: the next one is answered.
        var next = Transfer(nonce + 1);
        Assert.Equal(next.Hash, await eth.SendRawTransactionAsync(next));
        Assert.Equal(2, Proxy.Forwarded("eth_sendRawTransaction"));
    }
}
