using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Ethereum;

public class Erc1271AnvilTests
{
    [Fact]
    public async Task A_contract_wallet_accepts_its_owners_signature_and_nothing_else()
    {
        await using var anvil = await Anvil.StartAsync();
        var owner = AnvilAccounts.Signer(AnvilAccounts.Guest);
        var artifact = await ContractArtifacts.LoadAsync("Erc1271Wallet");
        var wallet = await anvil.DeployAsync(AnvilAccounts.Address(AnvilAccounts.Deployer), [.. artifact.Bytecode, .. new AbiEncoder().Address(owner.Address).ToArray()]);
        Assert.NotEmpty(await anvil.Eth.GetCodeAsync(wallet));

        var hash = PersonalMessage.Hash("heaven-session:1700000000");
        var good = owner.Sign(hash).ToBytes();
        Assert.True(await Erc1271.IsValidSignatureAsync(anvil.Eth, wallet, hash, good));

        var stranger = AnvilAccounts.Signer(AnvilAccounts.Stranger).Sign(hash).ToBytes();
        Assert.False(await Erc1271.IsValidSignatureAsync(anvil.Eth, wallet, hash, stranger));
        Assert.False(await Erc1271.IsValidSignatureAsync(anvil.Eth, wallet, PersonalMessage.Hash("other"), good));
        Assert.False(await Erc1271.IsValidSignatureAsync(anvil.Eth, wallet, hash, good[..64]));
        Assert.False(await Erc1271.IsValidSignatureAsync(anvil.Eth, wallet, hash, []));
        // An account without code answers nothing: not a valid signature.
        Assert.False(await Erc1271.IsValidSignatureAsync(anvil.Eth, owner.Address, hash, good));
    }
}
