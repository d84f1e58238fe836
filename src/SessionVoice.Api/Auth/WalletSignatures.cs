using System.Collections.Concurrent;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Api.Auth;

/// <summary>
/// Whether <c>wallet</c> signed <c>message</c> with personal_sign: ecrecover first; when that gives
/// another address and the wallet is a contract, its ERC-1271 answer on our chain decides.
/// <para>
/// A bad signature must not cost a node call each: an address seen signing with its own key is a key
/// (an EOA) and gets no ERC-1271 lookup; any other address costs at most one eth_getCode, whose answer is
/// kept (both sets bounded). Only an address with code is asked eth_call(isValidSignature).
/// </para>
/// </summary>
public sealed class WalletSignatures(EthClient? eth, ILogger<WalletSignatures> logger)
{
    /// <summary>Addresses remembered per set; past it the set starts over (a cost, never a wrong answer for an EOA).</summary>
    public const int MaxRemembered = 100_000;

    /// <summary>An address without code is asked again after this: a counterfactual wallet may be deployed later.</summary>
    public static readonly TimeSpan NoCodeRecheck = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<Address, byte> _keys = new();
    private readonly ConcurrentDictionary<Address, (bool HasCode, long ReadAtMs)> _hasCode = new();
    private readonly SingleFlight<Address, bool> _codeReads = new();

    public async Task<bool> VerifyAsync(Address wallet, string message, byte[] signature, CancellationToken ct)
    {
        if (PersonalMessage.Recover(message, signature) == wallet)
        {
            Remember(_keys, wallet, (byte)0);
            return true;
        }
        if (eth is null || _keys.ContainsKey(wallet))
        {
            return false;
        }
        try
        {
            bool hasCode;
            if (!_hasCode.TryGetValue(wallet, out var known) || (!known.HasCode && Environment.TickCount64 - known.ReadAtMs > (long)NoCodeRecheck.TotalMilliseconds))
            {
                hasCode = await _codeReads.RunAsync(wallet, () => ReadHasCodeAsync(eth, wallet)).WaitAsync(ct);
            }
            else
            {
                hasCode = known.HasCode;
            }
            return hasCode && await Erc1271.IsValidSignatureAsync(eth, wallet, PersonalMessage.Hash(message), signature, ct);
        }
        catch (RpcException e)
        {
            logger.LogWarning("ERC-1271 check for {Wallet} failed: {Error}", wallet, e.Kind);
            return false;
        }
    }

    private async Task<bool> ReadHasCodeAsync(EthClient client, Address wallet)
    {
        var hasCode = (await client.GetCodeAsync(wallet, BlockTag.Latest, CancellationToken.None)).Length > 0;
        Remember(_hasCode, wallet, (hasCode, Environment.TickCount64));
        return hasCode;
    }

    private static void Remember<T>(ConcurrentDictionary<Address, T> set, Address wallet, T value)
    {
        if (set.Count >= MaxRemembered && !set.ContainsKey(wallet))
        {
            set.Clear();
        }
        set[wallet] = value;
    }
}
