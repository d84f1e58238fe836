using Xunit;

namespace SessionVoice.Testing;

/// <summary>One anvil + escrow per test class. Tests that move chain time should own their chain instead.</summary>
public sealed class EscrowChainFixture : IAsyncLifetime
{
    private EscrowChain? _chain;

    public EscrowChain Chain => _chain ?? throw new InvalidOperationException("fixture not initialised");

    public async ValueTask InitializeAsync() => _chain = await EscrowChain.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_chain is not null)
        {
            await _chain.DisposeAsync();
        }
    }
}
