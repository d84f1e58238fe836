namespace SessionVoice.Core.Ethereum;

/// <summary>ERC-1271: asks a contract wallet whether a signature over a hash is its own.</summary>
public static class Erc1271
{
    private static readonly byte[] IsValidSignatureSelector = Abi.Selector("isValidSignature(bytes32,bytes)");

    public static byte[] IsValidSignatureCall(Hash32 hash, ReadOnlySpan<byte> signature) =>
        new AbiEncoder().Bytes32(hash).Bytes(signature).ToCall(IsValidSignatureSelector);

    /// <summary>
    /// True only for the magic value 0x1626ba7e. A revert, an empty or a short answer is "no"
    /// (the wallet's answer is state-dependent; transport failures still throw).
    /// </summary>
    public static async Task<bool> IsValidSignatureAsync(EthClient eth, Address wallet, Hash32 hash, byte[] signature, CancellationToken ct = default)
    {
        byte[] result;
        try
        {
            result = await eth.CallAsync(new CallRequest(wallet, IsValidSignatureCall(hash, signature)), BlockTag.Latest, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.Reverted)
        {
            return false;
        }
        return result.Length >= 32 && result.AsSpan(0, 4).SequenceEqual(IsValidSignatureSelector) && !result.AsSpan(4, 28).ContainsAnyExcept((byte)0);
    }
}
