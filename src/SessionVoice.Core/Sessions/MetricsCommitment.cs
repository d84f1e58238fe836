using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Sessions;

/// <summary>Builds the metrics preimage for an attestation from the same figures the policy decided on.</summary>
public static class MetricsCommitment
{
    /// <summary>
    /// The preimage for <paramref name="outcome"/> at <paramref name="nowUnixSeconds"/>: the figures of
    /// <see cref="OutcomePolicy.Summarize"/> with the same events, time and parameters, milliseconds
    /// truncated to seconds, and <see cref="EvidenceRoot"/> over the same events.
    /// </summary>
    public static MetricsPreimage Build(
        ulong chainId,
        Address escrow,
        BookingSnapshot booking,
        Outcome outcome,
        MetricsSource source,
        IReadOnlyList<PresenceEvent> events,
        long nowUnixSeconds,
        PolicyParameters parameters)
    {
        var summary = OutcomePolicy.Summarize(booking, events, nowUnixSeconds, parameters);
        return new MetricsPreimage(
            chainId,
            escrow,
            booking.Id,
            outcome,
            source,
            Seconds(summary.HostFirstJoinMs),
            Seconds(summary.HostLastLeaveMs),
            Seconds(summary.GuestFirstJoinMs),
            Seconds(summary.GuestLastLeaveMs),
            Seconds(summary.HostPresentMs),
            Seconds(summary.GuestPresentMs),
            Seconds(summary.OverlapMs),
            EvidenceRoot(events));
    }

    /// <summary>
    /// keccak256 of <c>abi.encode((uint8 party, uint8 kind, uint64 atMs, uint8 source)[] events)</c>, a
    /// client recomputes it from the event list as follows.
    /// <list type="number">
    /// <item>Take every given event, duplicates included, and sort by atMs, then party, then kind, then
    /// source (all ascending, as numbers), so the root does not depend on the order the events were
    /// stored or served in.</item>
    /// <item>Map: party Host = 0, Guest = 1; kind Join = 0, Leave = 1; source Observed = 1, Claimed = 2;
    /// atMs is the event time in unix milliseconds.</item>
    /// <item>Encode as one dynamic array argument: word 0x20 (the offset), word n (the count), then
    /// four words per event (party, kind, atMs, source), each a big-endian uint256 word:
    /// (2 + 4n) · 32 bytes. Foundry: <c>cast abi-encode "f((uint8,uint8,uint64,uint8)[])"
    /// "[(0,0,1700000000000,2),(1,0,1700000001000,2)]"</c>.</item>
    /// <item>Hash with keccak256 (<c>cast keccak 0x…</c>).</item>
    /// </list>
    /// An empty list encodes as 0x20, 0 (64 bytes). Events with a negative time cannot be encoded.
    /// </summary>
    public static Hash32 EvidenceRoot(IReadOnlyList<PresenceEvent> events)
    {
        var ordered = events
            .Select(e => (Party: PartyCode(e.Party), Kind: KindCode(e.Kind), e.AtMs, Source: SourceCode(e.Source)))
            .OrderBy(e => e.AtMs)
            .ThenBy(e => e.Party)
            .ThenBy(e => e.Kind)
            .ThenBy(e => e.Source)
            .ToList();
        // All members are static, so the array is its offset, its length and then the words in order.
        var encoder = new AbiEncoder().UInt(32).UInt(ordered.Count);
        foreach (var e in ordered)
        {
            if (e.AtMs < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(events), e.AtMs, "event times are uint64 milliseconds");
            }
            encoder.UInt(e.Party, 8).UInt(e.Kind, 8).UInt(e.AtMs, 64).UInt(e.Source, 8);
        }
        return Keccak256.Hash(encoder.ToArray());
    }

    private static ulong Seconds(long? ms) => ms is > 0 ? (ulong)(ms.Value / 1000) : 0;

    // Explicit codes, not enum casts: the committed encoding must not move if an enum gains a member.
    private static byte PartyCode(Party party) => party switch
    {
        Party.Host => 0,
        Party.Guest => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(party), party, "unknown party"),
    };

    private static byte KindCode(PresenceKind kind) => kind switch
    {
        PresenceKind.Join => 0,
        PresenceKind.Leave => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown presence kind"),
    };

    private static byte SourceCode(PresenceSource source) => source switch
    {
        PresenceSource.Observed => 1,
        PresenceSource.Claimed => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown presence source"),
    };
}
