using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionVoice.Testing;
using SessionVoice.Api.Hosting;

namespace SessionVoice.Api.Tests.Hosting;

public class HostingTests
{
    [Fact]
    public async Task Data_protection_keeps_its_keys_in_memory_and_no_key_ring_is_loaded_at_start()
    {
        var settings = ApiHost.MockSettings(AnvilAccounts.Signer(AnvilAccounts.Host).Address, AnvilAccounts.Signer(AnvilAccounts.Guest).Address);
        await using var host = new ApiHost(settings);
        using var client = host.Client();

        Assert.True((await client.GetAsync("/health")).IsSuccessStatusCode);
        // What the service removes is there to remove: authentication brings data protection's key ring loader.
        var plain = new ServiceCollection();
        plain.AddAuthentication();
        Assert.Single(plain, HttpPipeline.IsDataProtectionHostedService);
        Assert.DoesNotContain(host.Services.GetServices<IHostedService>(), s => s.GetType().Assembly == typeof(IDataProtectionBuilder).Assembly);
        var protector = host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
        Assert.Equal("payload", protector.Unprotect(protector.Protect("payload")));
    }
}
