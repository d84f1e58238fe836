using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionVoice.Testing;
using SessionVoice.Api.Dapr;

namespace SessionVoice.Api.Tests.Hosting;

public class HostingTests
{
    [Fact]
    public async Task Standalone_mode_registers_no_data_protection_and_no_authorization()
    {
        var settings = ApiHost.MockSettings(AnvilAccounts.Signer(AnvilAccounts.Host).Address, AnvilAccounts.Signer(AnvilAccounts.Guest).Address);
        await using var host = new ApiHost(settings);
        using var client = host.Client();

        Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode);
        Assert.Null(host.Services.GetService<IDataProtectionProvider>());
        // Nor authorization, which WebApplication would add to every request's pipeline by itself if it were registered.
        Assert.Null(host.Services.GetService<IAuthorizationHandlerProvider>());
        Assert.DoesNotContain(host.Services.GetServices<IHostedService>(), s => s.GetType().Assembly == typeof(IDataProtectionBuilder).Assembly);
    }

    [Fact]
    public void Dapr_mode_keeps_data_protection_keys_in_memory_and_loads_no_key_ring_at_start()
    {
        // What the service removes is there to remove: authentication (daprd's app token) brings data protection's key ring loader.
        var plain = new ServiceCollection();
        plain.AddAuthentication();
        Assert.Single(plain, DaprRuntime.IsDataProtectionHostedService);

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAuthentication();
        DaprRuntime.KeepDataProtectionInMemory(services);
        Assert.DoesNotContain(services, DaprRuntime.IsDataProtectionHostedService);
        using var provider = services.BuildServiceProvider();
        Assert.DoesNotContain(provider.GetServices<IHostedService>(), s => s.GetType().Assembly == typeof(IDataProtectionBuilder).Assembly);
        var protector = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("payload", protector.Unprotect(protector.Protect("payload")));
        // The ephemeral provider: its keys live in memory only, none is read from or written to a key folder.
        Assert.IsType<EphemeralDataProtectionProvider>(provider.GetRequiredService<IDataProtectionProvider>());
    }
}
