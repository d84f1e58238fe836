using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

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

    /// <summary>A stored failure whose own text is kept for the log only (a replayed revert, a node's words).</summary>
    public const string SubmissionFailed = "submission failed";

    private static readonly string[] Fixed =
    [
        WaitingForReceipt, WaitingForConfirmations, ClaimedElsewhere, WaitingForPlace, ResentAfterReorg, InsufficientFunds, FeeTooLow,
        NodeRefused, RpcUnreachable, RpcTimeout, RateLimited, NotOracle, ChainIdMismatch, BookingNotFound, NoReceipt, Reverted, NoOracleKey,
        SubmissionFailed,
    ];

    /// <summary>The contract's refusals in words (what BookingSettlement.RefusalText gives).</summary>
    private static readonly string[] Refusals =
        ["grace not over", "overlap not met", "too late", "not booked", NotOracle, "bad outcome", "refused by the contract"];

    /// <summary>
    /// A stored detail as responses may show it: one of the fixed reasons, or one of the few composed forms whose
    /// every part is ours (a contract refusal in words, an enum name). Anything else, a node's text for one, is
    /// <see cref="SubmissionFailed"/>: the log has the full story.
    /// </summary>
    public static string? Public(string? detail)
    {
        if (detail is null)
        {
            return null;
        }
        if (Array.IndexOf(Fixed, detail) >= 0)
        {
            return detail;
        }
        foreach (var prefix in (ReadOnlySpan<string>)["not due yet on chain: ", "contract refused: "])
        {
            if (detail.StartsWith(prefix, StringComparison.Ordinal) && Array.IndexOf(Refusals, detail[prefix.Length..]) >= 0)
            {
                return detail;
            }
        }
        if (detail.StartsWith(Reverted + ": ", StringComparison.Ordinal))
        {
            var why = detail[(Reverted.Length + 2)..];
            return why == "out of gas" || why == "unknown reason" || Enum.TryParse<EscrowErrorKind>(why, out _) && IsName(why) ? detail : Reverted;
        }
        if (detail.StartsWith("on chain: ", StringComparison.Ordinal) && detail["on chain: ".Length..].Split(' ') is [var status, var outcome]
            && Enum.TryParse<BookingStatus>(status, out _) && IsName(status) && Enum.TryParse<Outcome>(outcome, out _) && IsName(outcome))
        {
            return detail;
        }
        return SubmissionFailed;
    }

    // Enum.TryParse also takes numbers and comma lists: only a plain name counts.
    private static bool IsName(string text) => text.Length is > 0 and < 40 && text.All(char.IsAsciiLetter);
}
