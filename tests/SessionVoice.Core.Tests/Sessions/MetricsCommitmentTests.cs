using System.Globalization;
using System.Numerics;
using FsCheck.Fluent;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Core.Sessions;
using SessionVoice.Testing;
using static SessionVoice.Core.Sessions.Party;
using static SessionVoice.Core.Tests.Sessions.SessionFixture;
using Outcome = SessionVoice.Core.Escrow.Outcome;

namespace SessionVoice.Core.Tests.Sessions;

/// <summary>The metrics commitment against Foundry's cast, byte for byte. Seeds are fixed so a failure can be replayed.</summary>
public class MetricsCommitmentTests
{
    private const string PreimageSignature = "f(uint8,uint256,address,uint256,uint8,uint8,uint64,uint64,uint64,uint64,uint64,uint64,uint64,bytes32)";
    private const string EvidenceSignature = "f((uint8,uint8,uint64,uint8)[])";
    private static readonly Address Escrow = Address.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    private static string I(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static ulong RandomUInt64(Random random) => random.Next(4) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        _ => (ulong)random.NextInt64() >> random.Next(0, 63),
    };

    private static MetricsPreimage RandomPreimage(Random random)
    {
        var bytes = new byte[random.Next(1, 33)];
        random.NextBytes(bytes);
        var address = new byte[20];
        random.NextBytes(address);
        var root = new byte[32];
        random.NextBytes(root);
        return new MetricsPreimage(
            RandomUInt64(random),
            Address.FromBytes(address),
            new BookingId(new BigInteger(bytes, isUnsigned: true, isBigEndian: true)),
            (Outcome)random.Next(1, 4),
            (MetricsSource)random.Next(1, 4),
            RandomUInt64(random),
            RandomUInt64(random),
            RandomUInt64(random),
            RandomUInt64(random),
            RandomUInt64(random),
            RandomUInt64(random),
            RandomUInt64(random),
            Hash32.FromBytes(root));
    }

    private static PresenceEvent[] RandomEvents(Random random)
    {
        var events = new List<PresenceEvent>();
        var count = random.Next(0, 10);
        for (var i = 0; i < count; i++)
        {
            events.Add(new PresenceEvent(
                random.Next(2) == 0 ? Host : Guest,
                random.Next(2) == 0 ? PresenceKind.Join : PresenceKind.Leave,
                // Few distinct times, so ties that the party/kind/source ordering must break are common.
                1_700_000_000_000 + (random.Next(0, 4) * 1000),
                random.Next(2) == 0 ? PresenceSource.Observed : PresenceSource.Claimed));
        }
        // Exact duplicates count: they are part of the evidence as stored.
        if (events.Count > 0 && random.Next(3) == 0)
        {
            events.Add(events[random.Next(events.Count)]);
        }
        return [.. events];
    }

    private static async Task ForEachCaseAsync(int seed, int cases, Func<Random, int, Task> check)
    {
        var inputs = Enumerable.Range(0, cases).Select(i => (Random: new Random((seed * 1000) + i), Index: i));
        await Parallel.ForEachAsync(inputs, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (input, _) => await check(input.Random, input.Index));
    }

    [Fact]
    public async Task Preimage_encoding_and_hash_equal_cast_abi_encode_and_keccak()
    {
        await ForEachCaseAsync(11, 40, async (random, i) =>
        {
            var p = RandomPreimage(random);
            var encoding = await Cast.RunAsync("abi-encode", PreimageSignature,
                "1", I(p.ChainId), p.Escrow.ToString(), p.BookingId.ToString(), I((byte)p.Outcome), I((byte)p.Source),
                I(p.HostFirstJoin), I(p.HostLastLeave), I(p.GuestFirstJoin), I(p.GuestLastLeave),
                I(p.HostPresentSeconds), I(p.GuestPresentSeconds), I(p.OverlapSeconds), p.EvidenceRoot.ToString());
            Assert.True(encoding == Hex.Encode(p.Encode()), $"case {i}: {p}");
            Assert.Equal(14 * 32, p.Encode().Length);
            Assert.Equal(Hash32.Parse(await Cast.RunAsync("keccak", encoding)), p.Hash());
        });
    }

    [Fact]
    public async Task Evidence_root_is_keccak_of_the_cast_encoding_of_the_sorted_event_tuples()
    {
        await ForEachCaseAsync(12, 40, async (random, i) =>
        {
            var events = RandomEvents(random);
            // The documented order, spelled out with the documented codes.
            var tuples = events
                .Select(e => (Party: e.Party == Host ? 0 : 1, Kind: e.Kind == PresenceKind.Join ? 0 : 1, e.AtMs, Source: (int)e.Source))
                .OrderBy(e => e.AtMs).ThenBy(e => e.Party).ThenBy(e => e.Kind).ThenBy(e => e.Source)
                .Select(e => $"({e.Party},{e.Kind},{e.AtMs},{e.Source})");
            var encoding = await Cast.RunAsync("abi-encode", EvidenceSignature, "[" + string.Join(",", tuples) + "]");
            Assert.Equal(64 + (events.Length * 128), Hex.Decode(encoding).Length);
            Assert.True(Hash32.Parse(await Cast.RunAsync("keccak", encoding)) == MetricsCommitment.EvidenceRoot(events), $"case {i}: {encoding}");
        });
    }

    [Fact]
    public void Evidence_root_of_no_events_is_the_hash_of_an_empty_array()
    {
        var empty = Hex.Decode("0x" + "0000000000000000000000000000000000000000000000000000000000000020" + new string('0', 64));
        Assert.Equal(Keccak256.Hash(empty), MetricsCommitment.EvidenceRoot([]));
    }

    [Fact]
    public void Evidence_root_does_not_depend_on_the_order_events_are_given_in()
    {
        var gen =
            from seed in Gen.Choose(0, int.MaxValue)
            let events = RandomEvents(new Random(seed))
            from shuffled in Gen.Shuffle(events)
            select (events, shuffled);
        var ran = PropertyRuns.Run(gen, 2000, input => Assert.Equal(MetricsCommitment.EvidenceRoot(input.events), MetricsCommitment.EvidenceRoot(input.shuffled)));
        Assert.Equal(2000, ran);
    }

    [Fact]
    public void Evidence_root_commits_to_every_field_of_an_event()
    {
        var e = new PresenceEvent(Host, PresenceKind.Join, 1_700_000_000_000, PresenceSource.Observed);
        var roots = new[]
        {
            e, e with { Party = Guest }, e with { Kind = PresenceKind.Leave }, e with { AtMs = e.AtMs + 1 }, e with { Source = PresenceSource.Claimed },
        }.Select(x => MetricsCommitment.EvidenceRoot([x]));
        Assert.Equal(5, roots.Distinct().Count());
        Assert.NotEqual(MetricsCommitment.EvidenceRoot([e]), MetricsCommitment.EvidenceRoot([e, e]));
    }

    [Fact]
    public void Build_records_the_source_and_the_summary_figures_in_seconds()
    {
        var booking = Booking(60, 10, 30);
        // Host from S − 1000 (counted from S − 300) to S + 600; guest from S + 300 to past the end.
        PresenceEvent[] events =
        [
            Join(Host, S - 1000), new PresenceEvent(Host, PresenceKind.Leave, ((S + 600) * 1000) + 999, PresenceSource.Observed),
            Join(Guest, S + 300), Leave(Guest, S + 3660),
        ];
        foreach (var source in new[] { MetricsSource.Observed, MetricsSource.Claimed, MetricsSource.Forced })
        {
            var preimage = MetricsCommitment.Build(31337, Escrow, booking, Outcome.NoShowHost, source, events, S + 3630, PolicyParameters.Default);
            Assert.Equal(
                new MetricsPreimage(31337, Escrow, new BookingId(42), Outcome.NoShowHost, source,
                    HostFirstJoin: (ulong)(S - 300), HostLastLeave: (ulong)(S + 600), GuestFirstJoin: (ulong)(S + 300), GuestLastLeave: (ulong)(S + 3600),
                    HostPresentSeconds: 600, GuestPresentSeconds: 3300, OverlapSeconds: 300,
                    MetricsCommitment.EvidenceRoot(events)),
                preimage);
            Assert.Equal((byte)source, preimage.Encode()[(6 * 32) - 1]);
        }
        var hashes = new[] { MetricsSource.Observed, MetricsSource.Claimed, MetricsSource.Forced }
            .Select(source => MetricsCommitment.Build(31337, Escrow, booking, Outcome.NoShowHost, source, events, S + 3630, PolicyParameters.Default).Hash());
        Assert.Equal(3, hashes.Distinct().Count());
    }

    [Fact]
    public void Absent_times_are_zero()
    {
        var preimage = MetricsCommitment.Build(1, Escrow, Booking(60, 10, 30), Outcome.NoShowHost, MetricsSource.Observed, [Join(Guest, S + 60)], S + 630, PolicyParameters.Default);
        Assert.Equal((0UL, 0UL, (ulong)(S + 60), 0UL), (preimage.HostFirstJoin, preimage.HostLastLeave, preimage.GuestFirstJoin, preimage.GuestLastLeave));
        // At S + 630 the cutoff is S + 600: the guest has 540 settled seconds.
        Assert.Equal((0UL, 540UL, 0UL), (preimage.HostPresentSeconds, preimage.GuestPresentSeconds, preimage.OverlapSeconds));
        Assert.Equal(MetricsPreimage.Version, preimage.Encode()[31]);
    }

    [Fact]
    public void A_preimage_decodes_back_from_its_encoding_and_names_every_word()
    {
        var random = new Random(18);
        for (var i = 0; i < 2000; i++)
        {
            var preimage = RandomPreimage(random);
            Assert.True(MetricsPreimage.TryDecode(preimage.Encode(), out var decoded), $"case {i}");
            Assert.Equal(preimage, decoded);
            var fields = decoded.Fields();
            Assert.Equal(MetricsPreimage.FieldNames, fields.Keys);
            Assert.Equal(
                [
                    "1", I(preimage.ChainId), preimage.Escrow.ToString(), I(preimage.BookingId.Value), I((byte)preimage.Outcome), I((byte)preimage.Source),
                    I(preimage.HostFirstJoin), I(preimage.HostLastLeave), I(preimage.GuestFirstJoin), I(preimage.GuestLastLeave),
                    I(preimage.HostPresentSeconds), I(preimage.GuestPresentSeconds), I(preimage.OverlapSeconds), preimage.EvidenceRoot.ToString(),
                ],
                fields.Values);
        }
    }

    [Fact]
    public void Bytes_that_are_not_a_preimage_of_this_layout_do_not_decode()
    {
        var good = RandomPreimage(new Random(7)) with { Source = MetricsSource.Observed, Outcome = Outcome.Completed };
        Assert.True(MetricsPreimage.TryDecode(good.Encode(), out _));
        byte[] Changed(int word, int byteInWord, byte value)
        {
            var bytes = good.Encode();
            bytes[(word * 32) + byteInWord] = value;
            return bytes;
        }
        byte[][] refused =
        [
            [],
            good.Encode()[..^1],
            [.. good.Encode(), 0],
            Changed(0, 31, 2),          // version 2
            Changed(0, 0, 1),           // version word beyond uint8
            Changed(1, 0, 1),           // chain id beyond uint64
            Changed(2, 0, 1),           // dirty address word
            Changed(4, 31, 0),          // outcome None
            Changed(4, 31, 4),          // no such outcome
            Changed(5, 31, 0),          // no such source
            Changed(5, 31, 4),
            Changed(6, 23, 1),          // hostFirstJoin beyond uint64
            Changed(12, 0, 0x80),       // overlapSeconds beyond uint64
        ];
        foreach (var bytes in refused)
        {
            Assert.False(MetricsPreimage.TryDecode(bytes, out _), Hex.Encode(bytes));
        }
    }
}
