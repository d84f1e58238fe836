namespace SessionVoice.Core.Ethereum;

/// <summary>
/// What an RPC failure means for the caller. Nodes disagree on codes (geth -32000, anvil -32003,
/// MegaETH either), so the kind is read from the lower-cased message (ethereum.md §7).
/// </summary>
public enum RpcErrorKind
{
    Other,
    Transport,
    RateLimited,
    MethodNotFound,
    InvalidParams,
    Reverted,
    NonceTooLow,
    NonceTooHigh,
    ReplacementUnderpriced,
    AlreadyKnown,
    Underpriced,
    InsufficientFunds,
    IntrinsicGasTooLow,
    GasLimitExceeded,
    ChainIdMismatch,
    LogRangeTooLarge,
    Timeout,
}

public sealed record RpcError(long Code, string Message, byte[]? Data)
{
    public RpcErrorKind Kind { get; } = Classify(Code, Message);

    /// <summary>The decoded revert data, when the error is a revert that carried any.</summary>
    public RevertReason? Revert => Kind == RpcErrorKind.Reverted && Data is { } data ? RevertReason.Decode(data) : null;

    public static RpcErrorKind Classify(long code, string? message)
    {
        var m = (message ?? string.Empty).ToLowerInvariant();
        if (code == 3 || m.Contains("execution reverted", StringComparison.Ordinal) || m.Contains("vm execution error", StringComparison.Ordinal))
        {
            return RpcErrorKind.Reverted;
        }
        // JsonRpcClient's wording for a failure below JSON-RPC (refused, reset, non-JSON answer). An HTTP 429 keeps
        // code 429 and is read as rate limiting below; the client's own timeout says "transport timeout" (Timeout).
        if (code == 0 && m.StartsWith("transport:", StringComparison.Ordinal))
        {
            return RpcErrorKind.Transport;
        }
        (string Needle, RpcErrorKind Kind)[] rules =
        [
            ("nonce too low", RpcErrorKind.NonceTooLow),
            ("nonce too high", RpcErrorKind.NonceTooHigh),
            ("replacement transaction underpriced", RpcErrorKind.ReplacementUnderpriced),
            ("replacement fee too low", RpcErrorKind.ReplacementUnderpriced),
            ("already known", RpcErrorKind.AlreadyKnown),
            ("already imported", RpcErrorKind.AlreadyKnown),
            ("known transaction", RpcErrorKind.AlreadyKnown),
            ("transaction underpriced", RpcErrorKind.Underpriced),
            ("less than block base fee", RpcErrorKind.Underpriced),
            ("fee cap less than", RpcErrorKind.Underpriced),
            ("gas price too low", RpcErrorKind.Underpriced),
            ("insufficient funds", RpcErrorKind.InsufficientFunds),
            ("intrinsic gas too low", RpcErrorKind.IntrinsicGasTooLow),
            ("exceeds block gas limit", RpcErrorKind.GasLimitExceeded),
            ("invalid chain id", RpcErrorKind.ChainIdMismatch),
            ("chain id mismatch", RpcErrorKind.ChainIdMismatch),
            ("block range", RpcErrorKind.LogRangeTooLarge),
            ("range too large", RpcErrorKind.LogRangeTooLarge),
            ("range is too large", RpcErrorKind.LogRangeTooLarge),
            ("query returned more than", RpcErrorKind.LogRangeTooLarge),
            ("too many results", RpcErrorKind.LogRangeTooLarge),
            ("log response size exceeded", RpcErrorKind.LogRangeTooLarge),
            ("rate limit", RpcErrorKind.RateLimited),
            ("too many requests", RpcErrorKind.RateLimited),
            ("timeout", RpcErrorKind.Timeout),
            ("timed out", RpcErrorKind.Timeout),
        ];
        foreach (var (needle, kind) in rules)
        {
            if (m.Contains(needle, StringComparison.Ordinal))
            {
                return kind;
            }
        }
        return code switch
        {
            -32601 => RpcErrorKind.MethodNotFound,
            -32602 => RpcErrorKind.InvalidParams,
            429 or -32005 => RpcErrorKind.RateLimited,
            _ => RpcErrorKind.Other,
        };
    }
}

public sealed class RpcException : Exception
{
    public RpcException(string method, RpcError error, Exception? inner = null)
        : base($"{method}: {error.Message}", inner)
    {
        Method = method;
        Error = error;
    }

    public string Method { get; }

    public RpcError Error { get; }

    public RpcErrorKind Kind => Error.Kind;
}
