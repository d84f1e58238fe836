using System.Numerics;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Core.Tests.Submission;

public class SubmissionReasonsTests
{
    [Theory]
    [InlineData(-32000, "insufficient funds for gas * price + value: have 0 want 3100000000000000", SubmissionReasons.InsufficientFunds)]
    [InlineData(-32003, "Insufficient funds for gas * price + value", SubmissionReasons.InsufficientFunds)]
    [InlineData(-32000, "transaction underpriced: gas tip cap 1, minimum needed 2", SubmissionReasons.FeeTooLow)]
    [InlineData(-32000, "replacement transaction underpriced", SubmissionReasons.FeeTooLow)]
    [InlineData(0, "transport: Connection refused (127.0.0.1:8545)", SubmissionReasons.RpcUnreachable)]
    [InlineData(0, "transport timeout", SubmissionReasons.RpcTimeout)]
    [InlineData(429, "transport: HTTP 429 with a non-JSON body", SubmissionReasons.RateLimited)]
    [InlineData(-32000, "node v1.2.3 at 10.0.0.7 says something odd", SubmissionReasons.NodeRefused)]
    public void A_node_error_becomes_one_public_reason_without_the_node_text(long code, string message, string expected)
    {
        var reason = SubmissionReasons.Of(new RpcError(code, message, null));

        Assert.Equal(expected, reason);
        Assert.DoesNotContain("10.0.0.7", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Exceptions_that_are_not_the_chain_are_not_classified()
    {
        Assert.Equal(SubmissionReasons.RpcUnreachable, SubmissionReasons.Of(new RpcException("eth_call", new RpcError(0, "transport: reset", null))));
        Assert.Null(SubmissionReasons.Of(new InvalidOperationException("a bug")));
    }

    [Fact]
    public void The_oracle_cannot_pay_when_the_balance_is_below_what_the_pending_attestations_cost_at_most()
    {
        var status = new OracleStatus(Address.Zero);
        Assert.False(status.CannotPay(5, BigInteger.Zero)); // nothing known yet: no verdict without the node's word

        status.Fault(SubmissionReasons.InsufficientFunds, 1);
        Assert.True(status.CannotPay(1, null));
        Assert.False(status.CannotPay(0, null));

        status.Sent(gasLimit: 100_000, maxFeePerGas: 10);
        Assert.False(status.LastFault.Current);
        Assert.False(status.CannotPay(3, 3_000_000));
        Assert.True(status.CannotPay(4, 3_000_000));
        Assert.False(status.CannotPay(4, null)); // a send went out since the refusal, and the balance is unknown
    }
}
