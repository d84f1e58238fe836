using System.Security.Cryptography;
using System.Text;

namespace SessionVoice.Api.Tests;

/// <summary>Builds and signs NCS notices the way Agora does (HMAC-SHA256 over the raw body, lowercase hex).</summary>
public static class Webhooks
{
    public const string Secret = "ncs-test-secret";
    private static long _seq = 1_625_051_030_000;

    public static string Body(int eventType, string channel, uint uid, long tsSeconds, long? clientSeq = null, string? noticeId = null, int? reason = null)
    {
        var seq = clientSeq ?? Interlocked.Increment(ref _seq);
        var leave = reason is { } r ? $",\"reason\":{r},\"duration\":60" : "";
        return "{\"noticeId\":\"" + (noticeId ?? Guid.NewGuid().ToString()) + "\",\"productId\":1,\"eventType\":" + eventType
            + ",\"notifyMs\":" + DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()
            + ",\"payload\":{\"clientSeq\":" + seq + ",\"uid\":" + uid + ",\"channelName\":\"" + channel + "\",\"platform\":7,\"ts\":" + tsSeconds + leave + "}}";
    }

    public static string Sign(string body, string secret = Secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string body, string? signature = "auto")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/agora") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new("application/json");
        if (signature is not null)
        {
            request.Headers.Add("Agora-Signature-V2", signature == "auto" ? Sign(body) : signature);
        }
        return client.SendAsync(request);
    }
}
