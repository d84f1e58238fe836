using System.Numerics;

namespace SessionVoice.Core.Ethereum;

/// <summary>"latest", "pending", "earliest" or a block number.</summary>
public readonly record struct BlockTag(string Value)
{
    public static BlockTag Latest => new("latest");

    public static BlockTag Pending => new("pending");

    public static BlockTag Earliest => new("earliest");

    public static BlockTag Number(ulong number) => new(Hex.EncodeQuantity(number));

    public override string ToString() => Value;
}

/// <summary>The arguments of eth_call / eth_estimateGas.</summary>
public sealed record CallRequest(Address To, byte[] Data, Address? From = null, BigInteger? Value = null, ulong? Gas = null)
{
    internal Dictionary<string, object?> ToJson()
    {
        var json = new Dictionary<string, object?> { ["to"] = To.ToString(), ["data"] = Hex.Encode(Data) };
        if (From is { } from)
        {
            json["from"] = from.ToString();
        }
        if (Value is { } value)
        {
            json["value"] = Hex.EncodeQuantity(value);
        }
        if (Gas is { } gas)
        {
            json["gas"] = Hex.EncodeQuantity(gas);
        }
        return json;
    }
}

public sealed record BlockHeader(ulong Number, Hash32 Hash, ulong Timestamp, BigInteger? BaseFeePerGas)
{
    /// <summary>The hash of the block before it: what a reorg check compares with the hash it kept for that height.</summary>
    public Hash32 ParentHash { get; init; }
}

public sealed record LogEntry(Address Address, IReadOnlyList<Hash32> Topics, byte[] Data, ulong BlockNumber, Hash32 TransactionHash, ulong LogIndex, bool Removed);

public sealed record TransactionReceipt(Hash32 TransactionHash, bool Succeeded, ulong BlockNumber, ulong GasUsed, BigInteger? EffectiveGasPrice, IReadOnlyList<LogEntry> Logs)
{
    /// <summary>The block the transaction is in: after a reorg the same transaction can be in another block of the same height.</summary>
    public Hash32? BlockHash { get; init; }
}

public sealed record LogFilter(Address Address, ulong FromBlock, ulong ToBlock, IReadOnlyList<Hash32?>? Topics = null)
{
    internal Dictionary<string, object?> ToJson()
    {
        var json = new Dictionary<string, object?>
        {
            ["address"] = Address.ToString(),
            ["fromBlock"] = Hex.EncodeQuantity(FromBlock),
            ["toBlock"] = Hex.EncodeQuantity(ToBlock),
        };
        if (Topics is { Count: > 0 })
        {
            json["topics"] = Topics.Select(t => t?.ToString()).ToList();
        }
        return json;
    }
}
