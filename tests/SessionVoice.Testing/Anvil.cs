using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Testing;

/// <summary>
/// A real anvil on 127.0.0.1 with a free port. Disposing it kills the process, whatever the test did.
/// </summary>
public sealed class Anvil : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;

    private Anvil(Process process, int port)
    {
        _process = process;
        Port = port;
        RpcUrl = new Uri($"http://127.0.0.1:{port}");
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        Rpc = new JsonRpcClient(_http, RpcUrl);
        Eth = new EthClient(Rpc);
    }

    public const ulong DefaultChainId = 6343;

    public int Port { get; }

    public Uri RpcUrl { get; }

    public JsonRpcClient Rpc { get; }

    public EthClient Eth { get; }

    /// <summary>Starts anvil (automine unless <paramref name="blockTime"/> is given) and waits until it answers.</summary>
    public static async Task<Anvil> StartAsync(ulong chainId = DefaultChainId, int? blockTime = null, IEnumerable<string>? extraArgs = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPort.Free();
            var info = new ProcessStartInfo(RepoPaths.Anvil)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in (string[])["--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--chain-id", chainId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--accounts", "10"])
            {
                info.ArgumentList.Add(arg);
            }
            if (blockTime is { } seconds)
            {
                info.ArgumentList.Add("--block-time");
                info.ArgumentList.Add(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            foreach (var arg in extraArgs ?? [])
            {
                info.ArgumentList.Add(arg);
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start anvil");
            // Drain its output so a chatty anvil never blocks on a full pipe.
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var anvil = new Anvil(process, port);
            if (await anvil.WaitReadyAsync(TimeSpan.FromSeconds(20)))
            {
                return anvil;
            }
            await anvil.DisposeAsync();
            if (attempt >= 2)
            {
                throw new InvalidOperationException("anvil did not answer on 127.0.0.1");
            }
        }
    }

    private async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                await Eth.ChainIdAsync();
                return true;
            }
            catch (RpcException)
            {
                await Task.Delay(50);
            }
        }
        return false;
    }


    /// <summary>Sends from one of anvil's unlocked accounts and waits for the receipt (automine).</summary>
    public async Task<TransactionReceipt> SendAsync(Address from, Address? to, byte[] data, BigInteger? value = null, ulong? gas = null)
    {
        var tx = new Dictionary<string, object?> { ["from"] = from.ToString(), ["data"] = Hex.Encode(data) };
        if (to is { } target)
        {
            tx["to"] = target.ToString();
        }
        if (value is { } v)
        {
            tx["value"] = Hex.EncodeQuantity(v);
        }
        if (gas is { } g)
        {
            tx["gas"] = Hex.EncodeQuantity(g);
        }
        var hash = Hash32.Parse((await Rpc.SendAsync("eth_sendTransaction", [tx], default)).GetString()!);
        return await WaitForReceiptAsync(hash);
    }

    public async Task<TransactionReceipt> WaitForReceiptAsync(Hash32 hash, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (await Eth.GetTransactionReceiptAsync(hash) is { } receipt)
            {
                return receipt;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"no receipt for {hash}");
    }

    /// <summary>Deploys creation code (+ encoded constructor arguments) and returns the new address.</summary>
    public async Task<Address> DeployAsync(Address from, byte[] creationCode)
    {
        var tx = new Dictionary<string, object?> { ["from"] = from.ToString(), ["data"] = Hex.Encode(creationCode), ["gas"] = Hex.EncodeQuantity(10_000_000UL) };
        var hash = Hash32.Parse((await Rpc.SendAsync("eth_sendTransaction", [tx], default)).GetString()!);
        await WaitForReceiptAsync(hash);
        var receipt = await Rpc.SendAsync("eth_getTransactionReceipt", [hash.ToString()], default);
        if (Hex.DecodeQuantity(receipt.GetProperty("status").GetString()) != 1)
        {
            throw new InvalidOperationException("deployment reverted");
        }
        return Address.Parse(receipt.GetProperty("contractAddress").GetString()!);
    }

    /// <summary>The timestamp of a freshly mined block: the chain's "now".</summary>
    public async Task<long> MineAsync(long? timestamp = null)
    {
        if (timestamp is { } t)
        {
            await Rpc.SendAsync("evm_mine", [Hex.EncodeQuantity((ulong)t)], default);
        }
        else
        {
            await Rpc.SendAsync("evm_mine", [], default);
        }
        return (long)(await Eth.GetBlockAsync(BlockTag.Latest))!.Timestamp;
    }

    public async Task SetNextBlockTimestampAsync(long timestamp) =>
        await Rpc.SendAsync("evm_setNextBlockTimestamp", [Hex.EncodeQuantity((ulong)timestamp)], default);

    public async Task IncreaseTimeAsync(long seconds) =>
        await Rpc.SendAsync("evm_increaseTime", [Hex.EncodeQuantity((ulong)seconds)], default);

    public async Task SetAutomineAsync(bool enabled) => await Rpc.SendAsync("evm_setAutomine", [enabled], default);

    /// <summary>evm_snapshot: the chain as it is now, for <see cref="RevertAsync"/>.</summary>
    public async Task<string> SnapshotAsync() => (await RawAsync("evm_snapshot")).GetString()!;

    /// <summary>
    /// evm_revert: drops every block mined since the snapshot. Mining again makes other blocks at the same
    /// heights, which is how a reorg looks to a reader that had read the dropped ones.
    /// </summary>
    public async Task RevertAsync(string snapshot)
    {
        if (!(await RawAsync("evm_revert", snapshot)).GetBoolean())
        {
            throw new InvalidOperationException($"anvil did not revert to snapshot {snapshot}");
        }
    }

    /// <summary>anvil_rollback: drops the newest <paramref name="depth"/> blocks (the first half of a reorg; mining again is the second).</summary>
    public async Task RollbackAsync(ulong depth) => await RawAsync("anvil_rollback", depth);

    /// <summary>anvil_mine: mines <paramref name="count"/> empty blocks at once.</summary>
    public async Task MineBlocksAsync(ulong count) => await RawAsync("anvil_mine", Hex.EncodeQuantity(count));

    public async Task<JsonElement> RawAsync(string method, params object?[] args) => await Rpc.SendAsync(method, args, default);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _http.Dispose();
    }
}
