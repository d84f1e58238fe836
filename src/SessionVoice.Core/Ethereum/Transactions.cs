using System.Numerics;

namespace SessionVoice.Core.Ethereum;

/// <summary>A transaction before signing; <see cref="SigningHash"/> is what the key signs.</summary>
public abstract record UnsignedTransaction(ulong ChainId, ulong Nonce, ulong GasLimit, Address? To, BigInteger Value, byte[] Data)
{
    public abstract Hash32 SigningHash();

    public abstract byte[] EncodeSigned(Signature signature);

    public SignedTransaction Sign(ISigner signer)
    {
        var signature = signer.Sign(SigningHash());
        var raw = EncodeSigned(signature);
        return new SignedTransaction(raw, Keccak256.Hash(raw), this);
    }

    protected byte[] EncodedTo() => To is { } to ? Rlp.EncodeBytes(to.ToArray()) : Rlp.EncodeBytes([]);
}

/// <summary>Type 0 with EIP-155 replay protection (v = recid + 2·chainId + 35).</summary>
public sealed record LegacyTransaction(ulong ChainId, ulong Nonce, BigInteger GasPrice, ulong GasLimit, Address? To, BigInteger Value, byte[] Data)
    : UnsignedTransaction(ChainId, Nonce, GasLimit, To, Value, Data)
{
    private List<byte[]> Payload() =>
    [
        Rlp.EncodeInteger(Nonce), Rlp.EncodeInteger(GasPrice), Rlp.EncodeInteger(GasLimit),
        EncodedTo(), Rlp.EncodeInteger(Value), Rlp.EncodeBytes(Data),
    ];

    public override Hash32 SigningHash() =>
        Keccak256.Hash(Rlp.EncodeList([.. Payload(), Rlp.EncodeInteger(ChainId), Rlp.EncodeInteger(0), Rlp.EncodeInteger(0)]));

    public override byte[] EncodeSigned(Signature signature)
    {
        var v = new BigInteger(ChainId) * 2 + 35 + signature.RecoveryId;
        return Rlp.EncodeList([.. Payload(), Rlp.EncodeInteger(v), Rlp.EncodeInteger(signature.R), Rlp.EncodeInteger(signature.S)]);
    }
}

/// <summary>Type 2 (EIP-1559) in its EIP-2718 envelope, with an empty access list.</summary>
public sealed record Eip1559Transaction(ulong ChainId, ulong Nonce, BigInteger MaxPriorityFeePerGas, BigInteger MaxFeePerGas, ulong GasLimit, Address? To, BigInteger Value, byte[] Data)
    : UnsignedTransaction(ChainId, Nonce, GasLimit, To, Value, Data)
{
    private const byte TypeByte = 0x02;

    private List<byte[]> Payload() =>
    [
        Rlp.EncodeInteger(ChainId), Rlp.EncodeInteger(Nonce), Rlp.EncodeInteger(MaxPriorityFeePerGas),
        Rlp.EncodeInteger(MaxFeePerGas), Rlp.EncodeInteger(GasLimit), EncodedTo(), Rlp.EncodeInteger(Value),
        Rlp.EncodeBytes(Data), Rlp.EncodeList([]),
    ];

    public override Hash32 SigningHash() => Keccak256.Hash([TypeByte, .. Rlp.EncodeList(Payload())]);

    public override byte[] EncodeSigned(Signature signature) =>
        [TypeByte, .. Rlp.EncodeList([.. Payload(), Rlp.EncodeInteger(signature.RecoveryId), Rlp.EncodeInteger(signature.R), Rlp.EncodeInteger(signature.S)])];
}

/// <summary>The bytes to send and the hash the chain will know them by (computed before sending).</summary>
public sealed record SignedTransaction(byte[] Raw, Hash32 Hash, UnsignedTransaction Transaction)
{
    public string RawHex => Hex.Encode(Raw);
}
