using System.Globalization;
using System.IO.Compression;

namespace SessionVoice.Core.Agora;

/// <summary>
/// Agora AccessToken2 ("007…") RTC tokens. Layout and signing as in docs/reference/agora.md §A.
/// Every expiry is RELATIVE seconds from <c>issueTs</c> (absolute times are an "006"-era mistake
/// that Agora clamps silently), in 1 … 86400.
/// </summary>
public static class AccessToken2
{
    public const string Version = "007";

    /// <summary>Agora's maximum lifetime for a token and for each privilege (24 h).</summary>
    public const uint MaxExpireSeconds = 86_400;

    /// <summary>
    /// An RTC token for one channel and one uid. <paramref name="uid"/> 0 is encoded as "" (any uid)
    /// the way Agora's builders do it; callers that mean a participant never pass 0.
    /// Privileges must include <see cref="RtcPrivilege.JoinChannel"/>; none may outlive the token or
    /// (for the publish privileges) the join privilege.
    /// </summary>
    public static string BuildRtc(AgoraCredentials creds, string channelName, uint uid, uint issueTs, uint salt,
        uint tokenExpireSeconds, IReadOnlyDictionary<RtcPrivilege, uint> privilegeExpireSeconds) =>
        new AccessToken2Builder(creds, issueTs, salt, tokenExpireSeconds)
            .AddRtc(channelName, uid, privilegeExpireSeconds)
            .Build();

    internal static AccessToken2Content BuildRtcContent(AgoraCredentials creds, string channelName, uint uid, uint issueTs, uint salt,
        uint tokenExpireSeconds, IReadOnlyDictionary<RtcPrivilege, uint> privilegeExpireSeconds) =>
        new AccessToken2Builder(creds, issueTs, salt, tokenExpireSeconds)
            .AddRtc(channelName, uid, privilegeExpireSeconds)
            .BuildContent();

    /// <summary>
    /// "007" + standard Base64 of zlib(content) (header 78 9c; not raw deflate, not URL-safe).
    /// <see cref="SmallZlib"/> compresses as zlib's level 6 (Node's <c>zlib.deflateSync</c> in Agora's
    /// npm builder) chooses matches, without a native deflate state per token; the official vectors
    /// come out byte for byte. Agora inflates whatever zlib stream it gets, so only the content has
    /// to be identical. Content beyond <see cref="SmallZlib.MaxInput"/> (never a token's) goes
    /// through <see cref="ZLibStream"/>.
    /// </summary>
    internal static string Encode(ReadOnlySpan<byte> content)
    {
        if (content.Length > SmallZlib.MaxInput)
        {
            using var stream = new MemoryStream();
            using (var zlib = new ZLibStream(stream, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(content);
            }
            return Version + Convert.ToBase64String(stream.GetBuffer().AsSpan(0, (int)stream.Length));
        }
        Span<byte> compressed = stackalloc byte[SmallZlib.MaxOutputLength(content.Length)];
        var length = SmallZlib.Compress(content, compressed);
        Span<char> text = stackalloc char[Version.Length + ((length + 2) / 3 * 4)];
        Version.CopyTo(text);
        Convert.TryToBase64Chars(compressed[..length], text[Version.Length..], out var written);
        return new string(text[..(Version.Length + written)]);
    }

    internal static string UidString(uint uid) => uid == 0 ? string.Empty : uid.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The parts of a token before compression: what Agora verifies.</summary>
internal sealed record AccessToken2Content(byte[] SigningInfo, byte[] Signature, byte[] Content);
