using SessionVoice.Testing;

namespace SessionVoice.Api.Tests;

/// <summary>anvil + escrow + the service on Kestrel, shared by one test class.</summary>
public sealed class ChainApiFixture : IAsyncLifetime
{
    public EscrowChain Chain { get; private set; } = null!;

    public ApiHost Host { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public string DataDir { get; } = ApiHost.TempDataDir();

    /// <summary>The service's clock: wall time unless a test moves it on.</summary>
    public ShiftedTime Time { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Chain = await EscrowChain.StartAsync();
        Host = new ApiHost(ApiHost.ChainSettings(Chain, DataDir), Time);
        Client = Host.Client();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
        await Chain.DisposeAsync();
    }
}
