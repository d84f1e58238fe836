using System.Buffers.Binary;
using System.Text;
using SessionVoice.Core.Agora;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;

namespace SessionVoice.Core.Tests.Agora;

public class AgoraUidTests
{
    private static Address A(string hex) => Address.Parse(hex);

    private static uint ExpectedFallback(Address address, byte attempt)
    {
        var preimage = address.ToArray().Concat(Encoding.ASCII.GetBytes("agora-uid")).Append(attempt).ToArray();
        return BinaryPrimitives.ReadUInt32BigEndian(Keccak256.Hash(preimage).ToArray()) & 0x7FFF_FFFFu;
    }

    /// <summary>The rule written out independently: the first fallback that is neither 0 nor <paramref name="excluded"/>.</summary>
    private static uint ExpectedFirstFallback(Address address, uint excluded)
    {
        for (var attempt = 1; attempt <= 255; attempt++)
        {
            var candidate = ExpectedFallback(address, (byte)attempt);
            if (candidate != 0 && candidate != excluded)
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("no fallback");
    }

    private static void AssertSignedIntPositive(uint uid) => Assert.InRange(uid, 1u, (uint)int.MaxValue);

    /// <summary>An address with random leading bytes and the given last four bytes.</summary>
    private static Address WithTail(Random random, uint tail)
    {
        var bytes = new byte[20];
        random.NextBytes(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), tail);
        return Address.FromBytes(bytes);
    }

    [Fact]
    public void Natural_uid_is_the_last_four_bytes_below_2_pow_31()
    {
        var wallet = A("0x000000000000000000000000000000002bcdef01");
        Assert.Equal(0x2bcdef01u, AgoraUid.ForWallet(wallet));
        Assert.Equal((0x2bcdef01u, 0x12345678u), AgoraUid.ForParticipants(wallet, A("0xffffffffffffffffffffffffffffffff12345678")));
    }

    [Theory]
    [InlineData("0x00000000000000000000000000000000ffffffff", 0x7fffffffu)]
    [InlineData("0x00000000000000000000000000000000abcdef01", 0x2bcdef01u)]
    [InlineData("0x0000000000000000000000000000000080000001", 1u)]
    public void Last_four_bytes_at_or_above_2_pow_31_lose_the_top_bit(string wallet, uint expected)
    {
        Assert.Equal(expected, AgoraUid.ForWallet(A(wallet)));
        Assert.Equal(expected, AgoraUid.ForParticipants(A(wallet), A("0x0000000000000000000000000000000000000007")).Host);
    }

    [Fact]
    public void Only_the_top_bit_set_falls_back_like_zero()
    {
        // 0x80000000 masks to 0, which Agora reads as "any uid" and the Android client refuses.
        var wallet = A("0x1234567890abcdef1234567890abcdef80000000");
        var uid = AgoraUid.ForWallet(wallet);
        AssertSignedIntPositive(uid);
        Assert.Equal(ExpectedFirstFallback(wallet, 0), uid);
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
    public void Tails_that_differ_only_in_the_top_bit_collide_and_move_the_guest()
    {
        var host = A("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa8badcafe");
        var guest = A("0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0badcafe");

        var (hostUid, guestUid) = AgoraUid.ForParticipants(host, guest);
        var (swappedHost, swappedGuest) = AgoraUid.ForParticipants(guest, host);

        Assert.Equal(0x0badcafeu, hostUid);
        Assert.Equal(ExpectedFirstFallback(guest, hostUid), guestUid);
        Assert.Equal(0x0badcafeu, swappedHost);
        Assert.Equal(ExpectedFirstFallback(host, swappedHost), swappedGuest);
        AssertSignedIntPositive(guestUid);
        AssertSignedIntPositive(swappedGuest);
    }

    [Fact]
    public void The_thirty_anvil_accounts_get_uids_a_signed_int_holds()
    {
        Assert.Equal(30, AnvilAccounts.Keys.Count);
        var wallets = Enumerable.Range(0, AnvilAccounts.Keys.Count).Select(AnvilAccounts.Address).ToArray();
        // Some of them end in a value above int.MaxValue, so the mask is exercised on real wallets.
        Assert.Contains(wallets, w => w.LastFourBytes > int.MaxValue);
        foreach (var host in wallets)
        {
            AssertSignedIntPositive(AgoraUid.ForWallet(host));
            Assert.Equal(host.LastFourBytes & 0x7FFF_FFFFu, AgoraUid.ForWallet(host));
            foreach (var guest in wallets)
            {
                var (hostUid, guestUid) = AgoraUid.ForParticipants(host, guest);
                AssertSignedIntPositive(hostUid);
                AssertSignedIntPositive(guestUid);
                Assert.NotEqual(hostUid, guestUid);
            }
        }
    }

    [Fact]
    public void A_thousand_random_wallets_and_forced_collisions_stay_in_1_to_int_max()
    {
        var random = new Random(2031);
        var aboveIntMax = 0;
        for (var i = 0; i < 1000; i++)
        {
            var tail = (uint)random.NextInt64(0, 1L << 32);
            aboveIntMax += tail > int.MaxValue ? 1 : 0;
            var host = WithTail(random, tail);
            // The same masked tail with the top bit flipped: a collision the mask itself creates.
            var twin = WithTail(random, tail ^ 0x8000_0000u);
            var other = WithTail(random, (uint)random.NextInt64(0, 1L << 32));

            var hostUid = AgoraUid.ForWallet(host);
            AssertSignedIntPositive(hostUid);
            foreach (var guest in new[] { twin, other, host })
            {
                var (h, g) = AgoraUid.ForParticipants(host, guest);
                Assert.Equal(hostUid, h);
                AssertSignedIntPositive(g);
                Assert.NotEqual(h, g);
                Assert.Equal((h, g), AgoraUid.ForParticipants(Address.Parse(host.ToString()), Address.Parse(guest.ToString())));
            }
            Assert.Equal(ExpectedFirstFallback(twin, hostUid), AgoraUid.ForParticipants(host, twin).Guest);
        }
        // About half of all wallets end at or above 2^31: the case the mask exists for.
        Assert.InRange(aboveIntMax, 400, 600);
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

            AssertSignedIntPositive(hostUid);
            AssertSignedIntPositive(guestUid);
            Assert.NotEqual(hostUid, guestUid);
            Assert.Equal(AgoraUid.ForWallet(host), hostUid);
            if ((host.LastFourBytes & 0x7FFF_FFFFu) != 0)
            {
                Assert.Equal(host.LastFourBytes & 0x7FFF_FFFFu, hostUid);
            }
            Assert.Equal((hostUid, guestUid), AgoraUid.ForParticipants(host, guest));
        }
    }
}
