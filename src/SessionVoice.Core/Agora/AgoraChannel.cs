using System.Buffers;
using System.Globalization;
using SessionVoice.Core.Escrow;

namespace SessionVoice.Core.Agora;

/// <summary>
/// An Agora RTC channel name that Agora accepts and that is never a wildcard: 1–63 bytes from
/// Agora's 89 allowed characters (a–z A–Z 0–9 space and <c>! # $ % &amp; ( ) + - : ; &lt; = . &gt; ? @ [ ] ^ _ { } | ~ ,</c>).
/// An empty name or <c>*</c> in a token would admit any channel, so neither can be built.
/// </summary>
public readonly record struct AgoraChannel
{
    /// <summary>Agora: "the string length must be less than 64 bytes".</summary>
    public const int MaxBytes = 63;

    private const string BookingPrefix = "heaven-";

    private static readonly SearchValues<char> Allowed = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%&()+-:;<=.>?@[]^_{}|~,");

    private AgoraChannel(string name) => Name = name;

    public string Name { get; }

    public static bool TryCreate(string name, out AgoraChannel ch)
    {
        ch = default;
        // Every allowed character is ASCII, so the character count is the byte count.
        if (string.IsNullOrEmpty(name) || name.Length > MaxBytes || name.AsSpan().ContainsAnyExcept(Allowed))
        {
            return false;
        }
        ch = new AgoraChannel(name);
        return true;
    }

    /// <summary>
    /// The booking's channel, <c>heaven-{chainId}-{bookingId}</c> in canonical decimal (api.md, Join
    /// rules). False when the name would exceed 63 bytes (long booking ids on long chain ids).
    /// </summary>
    public static bool TryForBooking(ulong chainId, BookingId id, out AgoraChannel ch) =>
        TryCreate(string.Create(CultureInfo.InvariantCulture, $"{BookingPrefix}{chainId}-{id}"), out ch);

    /// <summary>
    /// The inverse of <see cref="TryForBooking"/>: only the exact name it would produce is accepted,
    /// so <c>heaven-6343-07</c> is not booking 7's channel and no booking has two channel names.
    /// </summary>
    public static bool TryParseBooking(string channelName, out ulong chainId, out BookingId id)
    {
        chainId = 0;
        id = default;
        if (channelName is null || !channelName.StartsWith(BookingPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = channelName.AsSpan(BookingPrefix.Length);
        var dash = rest.IndexOf('-');
        if (dash < 0
            || !ulong.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var chain)
            || !BookingId.TryParse(rest[(dash + 1)..].ToString(), out var booking)
            || !TryForBooking(chain, booking, out var canonical)
            || !string.Equals(canonical.Name, channelName, StringComparison.Ordinal))
        {
            return false;
        }
        chainId = chain;
        id = booking;
        return true;
    }

    public override string ToString() => Name ?? string.Empty;
}
