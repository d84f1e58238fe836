using System.Numerics;

namespace SessionVoice.Core.Escrow.Submission;

public enum TransactionType
{
    Eip1559,
    Legacy,
}

/// <summary>How <see cref="OracleSubmitter"/> prices, sends and chases its transactions.</summary>
/// <param name="ChainId">The chain the oracle key signs for; the node must report the same id or nothing is signed.</param>
public sealed record SubmitterOptions(ulong ChainId)
{
    public TransactionType TransactionType { get; init; } = TransactionType.Eip1559;

    /// <summary>Legacy only: a fixed gas price instead of eth_gasPrice (MegaETH testnet wants 1_000_000 wei).</summary>
    public BigInteger? FixedGasPrice { get; init; }

    /// <summary>Added on top of eth_estimateGas.</summary>
    public int GasHeadroomPercent { get; init; } = 30;

    /// <summary>
    /// Without a receipt this long after the last send, the transaction is replaced with the same nonce and
    /// both fee fields raised by 12.5 % (nodes want at least 10 %). Also the lease of a claim nobody sent under.
    /// </summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public int MaxReplacements { get; init; } = 5;

    /// <summary>
    /// Blocks on top of a receipt's block, itself included, before an attestation is final (CONFIRMATIONS). Until
    /// then every check makes sure the receipt is still canonical. 1: final at the first receipt.
    /// </summary>
    public int Confirmations { get; init; } = 3;

    internal void Validate()
    {
        if (GasHeadroomPercent < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GasHeadroomPercent), "headroom cannot be negative");
        }
        if (ReceiptTimeout <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiptTimeout), "timeouts must be positive");
        }
        if (Confirmations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Confirmations), "at least the receipt's own block");
        }
        if (MaxReplacements < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReplacements), "cannot be negative");
        }
        if (FixedGasPrice is { Sign: <= 0 })
        {
            throw new ArgumentOutOfRangeException(nameof(FixedGasPrice), "a fixed gas price must be positive");
        }
    }
}
