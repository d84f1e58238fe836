using System.Buffers.Binary;
using System.Text;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Tests.Agora;

public class AgoraUidTests
{
    private static Address A(string hex) => Address.Parse(hex);

    private static uint ExpectedFallback(Address address, byte attempt)
    {
        var preimage = address.ToArray().Concat(Encoding.ASCII.GetBytes("agora-uid")).Append(attempt).ToArray();
        return BinaryPrimitives.ReadUInt32BigEndian(Keccak256.Hash(preimage).ToArray());
    }

    [Fact]
    public void Natural_uid_is_the_last_four_bytes()
    {
        var wallet = A("0x00000000000000000000000000000000abcdef01");
        Assert.Equal(0xabcdef01u, AgoraUid.ForWallet(wallet));
        Assert.Equal((0xabcdef01u, 0x12345678u), AgoraUid.ForParticipants(wallet, A("0xffffffffffffffffffffffffffffffff12345678")));
    }

    [Fact]
    public void Uids_above_int_max_stay_unsigned()
    {
        Assert.Equal(uint.MaxValue, AgoraUid.ForWallet(A("0x00000000000000000000000000000000ffffffff")));
    }

    [Fact]
    public void Zero_last_bytes_get_the_deterministic_fallback()
    {
        var wallet = A("0x1234567890abcdef1234567890abcdef00000000");
        var uid = AgoraUid.ForWallet(wallet);

        Assert.NotEqual(0u, uid);
        Assert.Equal(ExpectedFallback(wallet, 1), uid);
        Assert.Equal(AgoraUid.Fallback(wallet, 1), uid);
        Assert.Equal(uid, AgoraUid.ForParticipants(wallet, A("0x0000000000000000000000000000000000000001")).Host);
        Assert.Equal(uid, AgoraUid.ForParticipants(A("0x0000000000000000000000000000000000000001"), wallet).Guest);
    }

    [Fact]
    public void Host_guest_collision_moves_the_guest_only()
    {
        var host = A("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0badcafe");
        var guest = A("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0badcafe");

        var (hostUid, guestUid) = AgoraUid.ForParticipants(host, guest);

        Assert.Equal(0x0badcafeu, hostUid);
        Assert.NotEqual(hostUid, guestUid);
        Assert.NotEqual(0u, guestUid);
        Assert.Equal(ExpectedFallback(guest, 1), guestUid);
    }

    [Fact]
    public void Same_wallet_as_host_and_guest_still_gets_two_uids()
    {
        var wallet = A("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0badcafe");
        var (hostUid, guestUid) = AgoraUid.ForParticipants(wallet, wallet);
        Assert.Equal(0x0badcafeu, hostUid);
        Assert.NotEqual(hostUid, guestUid);
    }

    [Fact]
    public void Both_zero_gives_distinct_fallbacks()
    {
        var host = A("0x1111111111111111111111111111111100000000");
        var guest = A("0x2222222222222222222222222222222200000000");
        var (hostUid, guestUid) = AgoraUid.ForParticipants(host, guest);
        Assert.Equal(ExpectedFallback(host, 1), hostUid);
        Assert.Equal(ExpectedFallback(guest, 1), guestUid);
        Assert.NotEqual(hostUid, guestUid);
    }

    [Fact]
    public void Uids_are_deterministic()
    {
        var host = A("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0badcafe");
        var guest = A("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0badcafe");
        var first = AgoraUid.ForParticipants(host, guest);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(first, AgoraUid.ForParticipants(Address.Parse(host.ToString()), Address.Parse(guest.ToString())));
        }
        // Pinned so a change to the rule (a client-facing contract) cannot pass unnoticed.
        Assert.Equal(ExpectedFallback(guest, 1), first.Guest);
        Assert.Equal(AgoraUid.Fallback(guest, 1), first.Guest);
    }

    [Fact]
    public void Random_pairs_never_get_zero_or_equal_uids()
    {
        var random = new Random(4242);
        Address RandomAddress(uint? tail)
        {
            var bytes = new byte[20];
            random.NextBytes(bytes);
            if (tail is { } t)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), t);
            }
            return Address.FromBytes(bytes);
        }
        for (var i = 0; i < 5000; i++)
        {
            // Force the interesting cases often: zero tails (host, guest, both) and shared tails.
            var host = RandomAddress((i % 5) is 1 or 3 ? 0 : null);
            var guest = (i % 5) switch
            {
                0 => RandomAddress(host.LastFourBytes),
                2 or 3 => RandomAddress(0),
                _ => RandomAddress(null),
            };

            var (hostUid, guestUid) = AgoraUid.ForParticipants(host, guest);

            Assert.NotEqual(0u, hostUid);
            Assert.NotEqual(0u, guestUid);
            Assert.NotEqual(hostUid, guestUid);
            Assert.Equal(AgoraUid.ForWallet(host), hostUid);
            if (host.LastFourBytes != 0)
            {
                Assert.Equal(host.LastFourBytes, hostUid);
            }
            Assert.Equal((hostUid, guestUid), AgoraUid.ForParticipants(host, guest));
        }
    }
}
