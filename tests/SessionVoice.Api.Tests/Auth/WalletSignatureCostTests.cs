using Microsoft.Extensions.Logging.Abstractions;
using SessionVoice.Api.Auth;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests.Auth;

public class WalletSignatureCostTests
{
    [Fact]
    public async Task Bad_signatures_cost_no_node_call_from_a_known_key_and_one_from_an_unseen_one()
    {
        await using var anvil = await Anvil.StartAsync();
        var counter = new RpcCounter();
        using var http = new HttpClient(counter);
        var signatures = new WalletSignatures(new EthClient(new JsonRpcClient(http, anvil.RpcUrl)), NullLogger<WalletSignatures>.Instance);
        var known = AnvilAccounts.Signer(3);
        var unseen = AnvilAccounts.Address(4);
        var stranger = AnvilAccounts.Signer(5);
        Assert.True(await signatures.VerifyAsync(known.Address, "hello", PersonalMessage.Sign("hello", known).ToBytes(), default));

        for (var i = 0; i < 10_000; i++)
        {
            var message = $"m{i}";
            var bad = PersonalMessage.Sign(message, stranger).ToBytes();
            Assert.False(await signatures.VerifyAsync(known.Address, message, bad, default));
        }
        Assert.Equal(0, counter.Snapshot().Requests);

        for (var i = 0; i < 10_000; i++)
        {
            var message = $"u{i}";
            Assert.False(await signatures.VerifyAsync(unseen, message, PersonalMessage.Sign(message, stranger).ToBytes(), default));
        }
        Assert.Equal(1, counter.Snapshot().Count("eth_getCode"));
        Assert.Equal(1, counter.Snapshot().Requests);
    }
}
