using System.Numerics;
using System.Text.Json;

namespace SessionVoice.Core.Ethereum;

/// <summary>Typed eth_* calls over <see cref="IJsonRpc"/>. Failures surface as <see cref="RpcException"/>.</summary>
public sealed class EthClient(IJsonRpc rpc)
{
    public IJsonRpc Rpc => rpc;

    public async Task<ulong> ChainIdAsync(CancellationToken ct = default) =>
        Hex.DecodeQuantityUInt64((await rpc.SendAsync("eth_chainId", [], ct).ConfigureAwait(false)).GetString());

    public async Task<ulong> BlockNumberAsync(CancellationToken ct = default) =>
        Hex.DecodeQuantityUInt64((await rpc.SendAsync("eth_blockNumber", [], ct).ConfigureAwait(false)).GetString());

    public async Task<BlockHeader?> GetBlockAsync(BlockTag tag, CancellationToken ct = default)
    {
        var block = await rpc.SendAsync("eth_getBlockByNumber", [tag.Value, false], ct).ConfigureAwait(false);
        if (block.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        BigInteger? baseFee = block.TryGetProperty("baseFeePerGas", out var fee) && fee.ValueKind == JsonValueKind.String
            ? Hex.DecodeQuantity(fee.GetString())
            : null;
        return new BlockHeader(
            Hex.DecodeQuantityUInt64(block.GetProperty("number").GetString()),
            Hash32.Parse(block.GetProperty("hash").GetString()!),
            Hex.DecodeQuantityUInt64(block.GetProperty("timestamp").GetString()),
            baseFee)
        {
            ParentHash = block.TryGetProperty("parentHash", out var parent) && parent.ValueKind == JsonValueKind.String
                ? Hash32.Parse(parent.GetString()!)
                : default,
        };
    }

    public async Task<byte[]> CallAsync(CallRequest call, BlockTag? tag = null, CancellationToken ct = default)
    {
        var result = await rpc.SendAsync("eth_call", [call.ToJson(), (tag ?? BlockTag.Latest).Value], ct).ConfigureAwait(false);
        return Hex.Decode(result.GetString()!);
    }

    public static RpcRequest CallRequestFor(CallRequest call, BlockTag? tag = null) =>
        new("eth_call", call.ToJson(), (tag ?? BlockTag.Latest).Value);

    public async Task<ulong> EstimateGasAsync(CallRequest call, BlockTag? tag = null, CancellationToken ct = default)
    {
        var result = await rpc.SendAsync("eth_estimateGas", [call.ToJson(), (tag ?? BlockTag.Pending).Value], ct).ConfigureAwait(false);
        return Hex.DecodeQuantityUInt64(result.GetString());
    }

    public async Task<ulong> GetTransactionCountAsync(Address account, BlockTag tag, CancellationToken ct = default) =>
        Hex.DecodeQuantityUInt64((await rpc.SendAsync("eth_getTransactionCount", [account.ToString(), tag.Value], ct).ConfigureAwait(false)).GetString());

    public async Task<BigInteger> GetBalanceAsync(Address account, BlockTag? tag = null, CancellationToken ct = default) =>
        Hex.DecodeQuantity((await rpc.SendAsync("eth_getBalance", [account.ToString(), (tag ?? BlockTag.Latest).Value], ct).ConfigureAwait(false)).GetString());

    public async Task<byte[]> GetCodeAsync(Address account, BlockTag? tag = null, CancellationToken ct = default) =>
        Hex.Decode((await rpc.SendAsync("eth_getCode", [account.ToString(), (tag ?? BlockTag.Latest).Value], ct).ConfigureAwait(false)).GetString()!);

    public async Task<BigInteger> GasPriceAsync(CancellationToken ct = default) =>
        Hex.DecodeQuantity((await rpc.SendAsync("eth_gasPrice", [], ct).ConfigureAwait(false)).GetString());

    public async Task<BigInteger> MaxPriorityFeePerGasAsync(CancellationToken ct = default) =>
        Hex.DecodeQuantity((await rpc.SendAsync("eth_maxPriorityFeePerGas", [], ct).ConfigureAwait(false)).GetString());

    /// <summary>Sends a signed transaction. "already known" for the very same bytes counts as sent.</summary>
    public async Task<Hash32> SendRawTransactionAsync(SignedTransaction tx, CancellationToken ct = default)
    {
        try
        {
            var result = await rpc.SendAsync("eth_sendRawTransaction", [tx.RawHex], ct).ConfigureAwait(false);
            var hash = Hash32.Parse(result.GetString()!);
            if (hash != tx.Hash)
            {
                throw new RpcException("eth_sendRawTransaction", new RpcError(0, $"node reported hash {hash}, expected {tx.Hash}", null));
            }
            return hash;
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.AlreadyKnown)
        {
            return tx.Hash;
        }
    }

    public async Task<TransactionReceipt?> GetTransactionReceiptAsync(Hash32 hash, CancellationToken ct = default) =>
        ReadReceipt(hash, await rpc.SendAsync("eth_getTransactionReceipt", [hash.ToString()], ct).ConfigureAwait(false));

    /// <summary>An eth_getTransactionReceipt result; null while the transaction is not in a sealed block.</summary>
    public static TransactionReceipt? ReadReceipt(Hash32 hash, JsonElement receipt)
    {
        if (receipt.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        // Realtime RPCs can hand out a receipt before its block is sealed (blockNumber null): not final yet.
        if (!receipt.TryGetProperty("blockNumber", out var number) || number.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        BigInteger? price = receipt.TryGetProperty("effectiveGasPrice", out var p) && p.ValueKind == JsonValueKind.String
            ? Hex.DecodeQuantity(p.GetString())
            : null;
        return new TransactionReceipt(
            hash,
            Hex.DecodeQuantity(receipt.GetProperty("status").GetString()) == 1,
            Hex.DecodeQuantityUInt64(number.GetString()),
            Hex.DecodeQuantityUInt64(receipt.GetProperty("gasUsed").GetString()),
            price,
            [.. receipt.GetProperty("logs").EnumerateArray().Select(ReadLog)])
        {
            BlockHash = receipt.TryGetProperty("blockHash", out var block) && block.ValueKind == JsonValueKind.String
                ? Hash32.Parse(block.GetString()!)
                : null,
        };
    }

    public async Task<IReadOnlyList<LogEntry>> GetLogsAsync(LogFilter filter, CancellationToken ct = default)
    {
        var logs = await rpc.SendAsync("eth_getLogs", [filter.ToJson()], ct).ConfigureAwait(false);
        return [.. logs.EnumerateArray().Select(ReadLog)];
    }

    public static LogEntry ReadLog(JsonElement log) => new(
        Address.Parse(log.GetProperty("address").GetString()!),
        [.. log.GetProperty("topics").EnumerateArray().Select(t => Hash32.Parse(t.GetString()!))],
        Hex.Decode(log.GetProperty("data").GetString()!),
        Hex.DecodeQuantityUInt64(log.GetProperty("blockNumber").GetString()),
        Hash32.Parse(log.GetProperty("transactionHash").GetString()!),
        Hex.DecodeQuantityUInt64(log.GetProperty("logIndex").GetString()),
        log.TryGetProperty("removed", out var removed) && removed.ValueKind == JsonValueKind.True);
}
