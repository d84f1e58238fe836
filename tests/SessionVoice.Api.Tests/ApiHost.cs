using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Api.Tests;

/// <summary>The real service on Kestrel (127.0.0.1, free port) with its own SQLite folder.</summary>
public sealed class ApiHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private readonly TimeProvider? _time;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="anyAddressPort">
    /// Listen on every address at this port instead of 127.0.0.1: for a sidecar in a container, which reaches the
    /// host through the bridge. <c>UseKestrel(int)</c> always binds loopback; the options overload does not.
    /// </param>
    public ApiHost(IDictionary<string, string?> settings, TimeProvider? time = null, Action<IServiceCollection>? services = null, int? anyAddressPort = null)
    {
        _time = time;
        _services = services;
        _settings = new Dictionary<string, string?>(settings);
        if (anyAddressPort is { } port)
        {
            UseKestrel(options => options.ListenAnyIP(port));
        }
        else
        {
            // Not UseKestrel(0): that overload rewrites the server's address list after the app is built, racing the
            // app's own start of Kestrel ("Addresses cannot be modified after the server has started", now and then).
            UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        }
    }

    /// <summary><see cref="BaseSettings"/> with MOCK_ESCROW=1: booking 1 between <paramref name="host"/> and <paramref name="guest"/>, no chain.</summary>
    public static Dictionary<string, string?> MockSettings(Address host, Address guest, string? dataDir = null)
    {
        var settings = BaseSettings(dataDir ?? TempDataDir());
        settings["MOCK_ESCROW"] = "1";
        settings["MOCK_HOST"] = host.ToString();
        settings["MOCK_GUEST"] = guest.ToString();
        return settings;
    }

    public static Dictionary<string, string?> BaseSettings(string dataDir) => new()
    {
        ["AGORA_APP_ID"] = "970CA35de60c44645bbae8a215061b33",
        ["AGORA_APP_CERTIFICATE"] = "5CFd2fd1755d40ecb72977518be15d3b",
        ["JWT_SECRET"] = "test-jwt-secret-that-is-long-enough-0123456789",
        ["DATA_DIR"] = dataDir,
        ["AUTH_RATE_LIMIT_PER_MINUTE"] = "100000",
        ["BIND_ADDRESS"] = "127.0.0.1",
    };

    public static Dictionary<string, string?> ChainSettings(EscrowChain chain, string dataDir)
    {
        var settings = BaseSettings(dataDir);
        settings["RPC_URL"] = chain.Anvil.RpcUrl.ToString();
        settings["ESCROW_ADDRESS"] = chain.EscrowAddress.ToString();
        settings["ORACLE_PRIVATE_KEY"] = AnvilAccounts.Keys[AnvilAccounts.Oracle];
        settings["CHAIN_ID"] = "6343";
        return settings;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.UseEnvironment("Production");
        if (_services is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
        if (_time is { } time)
        {
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton(time);
            });
        }
    }

    /// <summary>Whether <see cref="Client"/> checks each response against docs/openapi.json (default: yes).</summary>
    public bool ValidateResponses { get; set; } = true;

    public HttpClient Client()
    {
        StartServer();
        // Listening on every address shows as [::] or 0.0.0.0: the test itself connects over loopback.
        var address = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()
            .Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        // Every response is checked against the committed OpenAPI document (OpenApiContract); a test that means
        // to see an undocumented answer turns ValidateResponses off.
        HttpMessageHandler handler = new SocketsHttpHandler { AllowAutoRedirect = false };
        if (ValidateResponses)
        {
            handler = new OpenApiValidatingHandler(OpenApiContract.Committed, handler);
        }
        var client = new HttpClient(handler) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        return client;
    }

    public static string TempDataDir() => Directory.CreateTempSubdirectory("session-voice-api-").FullName;
}

public static class HttpTestExtensions
{

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body, string? token = null) =>
        client.SendAsync(Request(HttpMethod.Post, path, JsonSerializer.Serialize(body), token));

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string path, string body, string? token = null, string contentType = "application/json") =>
        client.SendAsync(Request(HttpMethod.Post, path, body, token, contentType));

    public static Task<HttpResponseMessage> GetAsync(this HttpClient client, string path, string? token) =>
        client.SendAsync(Request(HttpMethod.Get, path, null, token));

    private static HttpRequestMessage Request(HttpMethod method, string path, string? body, string? token, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the status and the exact <c>{ "error" }</c> text.</summary>
    public static async Task AssertErrorAsync(this HttpResponseMessage response, int status, string error)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(error, doc.RootElement.GetProperty("error").GetString());
    }

    /// <summary>
    /// Signs in through the nonce flow: every call is a fresh nonce, so sign-ins never collide with
    /// the signed-timestamp tests (which use /auth with explicit timestamps).
    /// </summary>
    public static async Task<string> SignInAsync(this HttpClient client, ISigner signer)
    {
        var nonceResponse = await client.PostJsonAsync("/auth/nonce", new { wallet = signer.Address.ToChecksumString() });
        var nonce = (await nonceResponse.JsonAsync()).GetProperty("nonce").GetString()!;
        var response = await client.PostJsonAsync("/auth/verify", new { wallet = signer.Address.ToString(), nonce, signature = PersonalMessage.Sign(nonce, signer).ToHex() });
        var json = await response.JsonAsync();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("token").GetString()!;
    }
}
