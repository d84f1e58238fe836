using System.Buffers.Binary;
using System.Text;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Agora;

/// <summary>
/// Agora uids for a booking's two participants. This is a contract with clients (they receive it as
/// <c>user_uid</c> and join with it) and with the webhook (which maps a uid back to a participant):
/// <list type="number">
/// <item>Every uid is in 1 … 2^31 − 1. The Android client reads <c>user_uid</c> as a signed 32-bit int
/// (Java has no unsigned int) and refuses <c>uid &lt;= 0</c>, so the top bit is always cleared.</item>
/// <item>A wallet's natural uid is the last 4 bytes of its address read as a big-endian uint32, with the
/// top bit cleared (<c>&amp; 0x7FFFFFFF</c>).</item>
/// <item>uid 0 is never returned: in a token it is Agora's wildcard (any uid), and the Android client refuses it.</item>
/// <item><c>Fallback(address, attempt)</c> = the first 4 bytes (big-endian uint32) of
/// keccak256(20 address bytes ‖ ASCII "agora-uid" ‖ one byte <c>attempt</c>), top bit cleared, for
/// attempt = 1, 2, 3, …</item>
/// <item>The host keeps its natural uid; only if that is 0 it takes the first non-zero fallback.</item>
/// <item>The guest keeps its natural uid unless it is 0 or equal to the host's uid (masking makes two
/// wallets whose last four bytes differ only in the top bit collide); then it takes the first fallback
/// that is non-zero and differs from the host's uid.</item>
/// </list>
/// The result depends only on the two addresses, so every join of the same booking gets the same
/// uids, and host and guest never share one.
/// </summary>
public static class AgoraUid
{
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("agora-uid");

    /// <summary>The largest uid handed out: <see cref="int.MaxValue"/>, what a signed 32-bit client can hold.</summary>
    public const uint MaxUid = 0x7FFF_FFFF;

    public static (uint Host, uint Guest) ForParticipants(Address host, Address guest)
    {
        var hostUid = ForWallet(host);
        return (hostUid, FirstAcceptable(guest, hostUid));
    }

    /// <summary>
    /// A wallet's uid when it is the host, or when no other participant is considered. A guest's uid
    /// comes from <see cref="ForParticipants"/>, which also rules out a collision with the host.
    /// </summary>
    public static uint ForWallet(Address wallet) => FirstAcceptable(wallet, excluded: 0);

    private static uint FirstAcceptable(Address wallet, uint excluded)
    {
        var natural = wallet.LastFourBytes & MaxUid;
        if (natural != 0 && natural != excluded)
        {
            return natural;
        }
        for (var attempt = 1; attempt <= byte.MaxValue; attempt++)
        {
            var candidate = Fallback(wallet, (byte)attempt);
            if (candidate != 0 && candidate != excluded)
            {
                return candidate;
            }
        }
        // 255 keccak outputs all 0 or equal to one value: not a case that occurs.
        throw new InvalidOperationException("no uid found for " + wallet);
    }

    internal static uint Fallback(Address address, byte attempt)
    {
        Span<byte> preimage = stackalloc byte[20 + 9 + 1];
        address.WriteTo(preimage);
        Domain.CopyTo(preimage[20..]);
        preimage[^1] = attempt;
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(preimage, hash);
        return BinaryPrimitives.ReadUInt32BigEndian(hash) & MaxUid;
    }
}
