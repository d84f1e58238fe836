using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>
/// The public words for why an attestation is not on chain yet. Node error texts differ per node and can carry
/// internals (addresses, balances, versions), so responses, stats and health show one of these and the log keeps
/// the node's own message.
/// </summary>
public static class SubmissionReasons
{
    public const string WaitingForReceipt = "waiting for a receipt";
    public const string WaitingForConfirmations = "waiting for confirmations";
    public const string ClaimedElsewhere = "another submitter is sending it";
    public const string WaitingForPlace = "waiting for a place among the key's pending transactions";
    public const string ResentAfterReorg = "re-sent after a reorg removed it";
    public const string InsufficientFunds = "insufficient funds";
    public const string FeeTooLow = "fee too low";
    public const string NodeRefused = "node refused the transaction";
    public const string RpcUnreachable = "rpc unreachable";
    public const string RpcTimeout = "rpc timeout";
    public const string RateLimited = "rate limited";
    public const string NotOracle = "not the oracle";
    public const string ChainIdMismatch = "chain id mismatch";
    public const string BookingNotFound = "booking not found on chain";
    public const string NoReceipt = "no receipt after every replacement";
    public const string Reverted = "reverted on chain";
    public const string NoOracleKey = "no oracle key configured";

    /// <summary>A node's refusal of a transaction (or an RPC failure), as one of the public reasons above.</summary>
    public static string Of(RpcError error) => error.Kind switch
    {
        RpcErrorKind.InsufficientFunds => InsufficientFunds,
        RpcErrorKind.Underpriced or RpcErrorKind.ReplacementUnderpriced => FeeTooLow,
        RpcErrorKind.Transport when error.Message.Contains("timeout", StringComparison.OrdinalIgnoreCase) => RpcTimeout,
        RpcErrorKind.Transport => RpcUnreachable,
        RpcErrorKind.Timeout => RpcTimeout,
        RpcErrorKind.RateLimited => RateLimited,
        RpcErrorKind.ChainIdMismatch => ChainIdMismatch,
        _ => NodeRefused,
    };

    /// <summary>Any failure of a step (an exception), classified; null when it is not the chain's doing.</summary>
    public static string? Of(Exception error) => error switch
    {
        RpcException rpc => Of(rpc.Error),
        HttpRequestException => RpcUnreachable,
        TimeoutException => RpcTimeout,
        _ => null,
    };
}
