using System.Net;

namespace SessionVoice.Image.Tests;

/// <summary>
/// The smallest environment the service starts with and no chain: the mock escrow (booking 1
/// between anvil accounts #2 and #3) and made-up, well-formed secrets.
/// </summary>
internal static class MockService
{
    public const string MockHost = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    public const string MockGuest = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

    public static IReadOnlyDictionary<string, string> MockEscrow { get; } = new Dictionary<string, string>
    {
        ["MOCK_ESCROW"] = "1",
        ["MOCK_HOST"] = MockHost,
        ["MOCK_GUEST"] = MockGuest,
        // 32 hex characters each, as Agora issues them; never used against Agora here.
        ["AGORA_APP_ID"] = "0123456789abcdef0123456789abcdef",
        ["AGORA_APP_CERTIFICATE"] = "fedcba9876543210fedcba9876543210",
        ["JWT_SECRET"] = "image-test-jwt-secret-of-at-least-32-bytes",
    };


    /// <summary>Polls GET /health until it answers or the time is up; <paramref name="exited"/> ends the wait early.</summary>
    public static async Task<(HttpStatusCode Status, string Body)?> WaitForHealthAsync(Uri baseUri, TimeSpan within, Func<bool> exited)
    {
        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline && !exited())
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative));
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(100);
            }
        }
        return null;
    }
}
