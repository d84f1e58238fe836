using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Ethereum;

public class RpcErrorTests
{
    [Theory]
    [InlineData(-32003, "nonce too low", RpcErrorKind.NonceTooLow)]
    [InlineData(-32000, "nonce too low: next nonce 5, tx nonce 3", RpcErrorKind.NonceTooLow)]
    [InlineData(-32000, "nonce too high", RpcErrorKind.NonceTooHigh)]
    [InlineData(-32003, "replacement transaction underpriced", RpcErrorKind.ReplacementUnderpriced)]
    [InlineData(-32000, "already known", RpcErrorKind.AlreadyKnown)]
    [InlineData(-32003, "transaction already imported", RpcErrorKind.AlreadyKnown)]
    [InlineData(-32000, "transaction underpriced", RpcErrorKind.Underpriced)]
    [InlineData(-32003, "max fee per gas less than block base fee", RpcErrorKind.Underpriced)]
    [InlineData(-32000, "insufficient funds for gas * price + value", RpcErrorKind.InsufficientFunds)]
    [InlineData(-32000, "intrinsic gas too low", RpcErrorKind.IntrinsicGasTooLow)]
    [InlineData(-32000, "exceeds block gas limit", RpcErrorKind.GasLimitExceeded)]
    [InlineData(3, "execution reverted: NOT_BOOKED", RpcErrorKind.Reverted)]
    [InlineData(-32000, "execution reverted", RpcErrorKind.Reverted)]
    [InlineData(-32003, "invalid chain id for signer", RpcErrorKind.ChainIdMismatch)]
    [InlineData(-32000, "block range is too large", RpcErrorKind.LogRangeTooLarge)]
    [InlineData(-32005, "query returned more than 10000 results", RpcErrorKind.LogRangeTooLarge)]
    [InlineData(-32601, "the method realtime_sendRawTransaction does not exist", RpcErrorKind.MethodNotFound)]
    [InlineData(-32603, "Transaction confirmation timeout", RpcErrorKind.Timeout)]
    [InlineData(-32000, "realtime transaction expired", RpcErrorKind.Other)]
    [InlineData(0, "transport: Connection refused (127.0.0.1:8545)", RpcErrorKind.Transport)]
    [InlineData(0, "transport: HTTP 502 with a non-JSON body", RpcErrorKind.Transport)]
    [InlineData(429, "transport: HTTP 429 with a non-JSON body", RpcErrorKind.RateLimited)]
    [InlineData(0, "transport timeout", RpcErrorKind.Timeout)]
    public void Errors_are_classified_by_message_not_code(long code, string message, RpcErrorKind kind)
    {
        Assert.Equal(kind, RpcError.Classify(code, message));
    }

    [Fact]
    public void Revert_data_is_decoded_only_for_reverts()
    {
        var data = Hex.Decode("0x4e487b710000000000000000000000000000000000000000000000000000000000000011");
        Assert.IsType<RevertReason.Panic>(new RpcError(3, "execution reverted: panic", data).Revert);
        Assert.Null(new RpcError(-32000, "nonce too low", data).Revert);
    }
}
