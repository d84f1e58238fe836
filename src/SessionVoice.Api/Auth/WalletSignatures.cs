using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Whether <c>wallet</c> signed <c>message</c> with personal_sign: ecrecover first; when that gives
/// another address and the wallet is a contract, its ERC-1271 answer on our chain decides.
/// </summary>
public sealed class WalletSignatures(EthClient? eth, ILogger<WalletSignatures> logger)
{
    public async Task<bool> VerifyAsync(Address wallet, string message, byte[] signature, CancellationToken ct)
    {
        if (PersonalMessage.Recover(message, signature) == wallet)
        {
            return true;
        }
        if (eth is null)
        {
            return false;
        }
        try
        {
            var code = await eth.GetCodeAsync(wallet, BlockTag.Latest, ct);
            return code.Length > 0 && await Erc1271.IsValidSignatureAsync(eth, wallet, PersonalMessage.Hash(message), signature, ct);
        }
        catch (RpcException e)
        {
            logger.LogWarning("ERC-1271 check for {Wallet} failed: {Error}", wallet, e.Kind);
            return false;
        }
    }
}
