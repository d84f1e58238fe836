using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>Fee fields of one transaction; for legacy both hold the gas price.</summary>
internal readonly record struct AttestationFees(BigInteger MaxFeePerGas, BigInteger MaxPriorityFeePerGas)
{
    /// <summary>EIP-1559: tip = eth_maxPriorityFeePerGas, cap = 2 × base fee (latest) + tip. Legacy: fixed or eth_gasPrice.</summary>
    public static async Task<AttestationFees> QuoteAsync(EthClient eth, SubmitterOptions options, CancellationToken ct)
    {
        if (options.TransactionType == TransactionType.Legacy)
        {
            var price = options.FixedGasPrice ?? await eth.GasPriceAsync(ct).ConfigureAwait(false);
            return new(price, price);
        }
        var tip = await eth.MaxPriorityFeePerGasAsync(ct).ConfigureAwait(false);
        var baseFee = (await eth.GetBlockAsync(BlockTag.Latest, ct).ConfigureAwait(false))?.BaseFeePerGas ?? 0;
        return new(baseFee * 2 + tip, tip);
    }

    /// <summary>
    /// A replacement: both fields × 1.125 rounded up (geth and anvil want ≥ +10 % on both), and never below
    /// today's quote in case the base fee rose meanwhile.
    /// </summary>
    public AttestationFees BumpedAtLeastTo(AttestationFees market)
    {
        var tip = BigInteger.Max(Bump(MaxPriorityFeePerGas), market.MaxPriorityFeePerGas);
        var cap = BigInteger.Max(BigInteger.Max(Bump(MaxFeePerGas), market.MaxFeePerGas), tip);
        return new(cap, tip);
    }

    private static BigInteger Bump(BigInteger fee) => (fee * 9 + 7) / 8;
}
